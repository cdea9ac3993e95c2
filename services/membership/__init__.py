"""Membership: departments, subscription terms, fee tiers, joining inquiries."""

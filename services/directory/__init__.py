"""The directory service: peer supporters, their availability, and curated resources."""

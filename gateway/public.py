"""The root fields anyone may use without signing in. Everything else needs a token."""

from __future__ import annotations

PUBLIC_ROOT_FIELDS = frozenset(
    {
        # membership: joining the network, what it costs, how big it is
        "submitJoinInquiry",
        "requestDemo",
        "membershipFigures",
        "networkFigures",
        "feeTiers",
        "visitFigures",
        "annualFeeQuoteCents",
        "news",
        "newsPost",
        # professionals: the online application
        "submitProfessionalApplication",
        "insuranceCarriers",
        "applicationStatus",
        # introspection and the type name, when introspection is enabled
        "__typename",
        "__schema",
        "__type",
    }
)

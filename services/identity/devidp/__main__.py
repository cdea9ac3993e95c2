"""`python -m services.identity.devidp`: run the development identity provider.

``--providers-toml ISSUER`` prints identity's providers file for a provider at ISSUER, and
``--demo-logins`` the demo accounts: what `wnwa up` needs of the provider, asked of a
short-lived process so that its supervisor never loads the provider's libraries.
"""

from __future__ import annotations

import os
import sys

from servicekit.logging import configure_logging

from . import demo_logins, providers_toml, serve

match sys.argv[1:]:
    case ["--demo-logins"]:
        print("\n".join(demo_logins()))
        raise SystemExit(0)
    case ["--providers-toml", issuer]:
        print(providers_toml(issuer), end="")
        raise SystemExit(0)
configure_logging(os.environ.get("WNWA_LOG_LEVEL", "INFO"))
raise SystemExit(serve())

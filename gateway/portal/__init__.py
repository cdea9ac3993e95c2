"""The portal: the web pages officers, supporters, coordinators, vetters and applicants use.

Plain HTML pages, one stylesheet and a few small JavaScript modules, all served by the
gateway under a strict Content-Security-Policy. The pages talk to `/graphql` on the same
origin; nothing is kept in the browser's storage and no address carries what was searched.
"""

from gateway.portal.routes import portal_routes

__all__ = ["portal_routes"]

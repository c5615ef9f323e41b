"""Static pages (the dashboard at ``/ui/``, the public page at ``/public/``) served with
headers that keep data from running as code: a Content-Security-Policy allowing only the
pages' own script files, and ``nosniff`` so nothing is read as a type it was not served as."""

from __future__ import annotations

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# Inline style stays allowed: the dashboard's legends set style attributes (never from data).
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
          "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer"}


class StaticPages(StaticFiles):
    """``StaticFiles`` whose every response carries ``HEADERS``."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


__all__ = ["StaticPages"]

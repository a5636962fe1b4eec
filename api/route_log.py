"""One request log for the lookup API and the review app: by route, never by URL.

A URL holds contact data (``/lookup?phone=…``, a search, a contact key in a path), so requests
are logged by the route template they matched (``/profiles/{profile_id}``), with status and
time; a URL that matched no route is logged by a fixed label. The same middleware adds each
app's security headers to every response.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = Callable[[str], list[tuple[bytes, bytes]]]
"""The security headers of a response, by request path."""


class RouteLog:
    """ASGI middleware: log each HTTP request as ``PREFIX METHOD ROOT/ROUTE STATUS MS ms`` and
    add ``headers(path)`` to its response. ``unmatched(path)`` names a URL no route matched;
    requests for which ``skip(path)`` is true pass through untouched (another app logs them)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        logger: logging.Logger,
        headers: Headers,
        unmatched: Callable[[str], str],
        prefix: str = "",
        skip: Callable[[str], bool] = lambda path: False,
    ) -> None:
        self.app = app
        self.logger, self.headers, self.unmatched = logger, headers, unmatched
        self.prefix, self.skip = prefix, skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] != "http" or self.skip(path):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [0]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), *self.headers(path)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            name = getattr(scope.get("route"), "path", None) or self.unmatched(path)
            self.logger.info(
                "%s%s %s%s %d %.0f ms",
                self.prefix,
                scope.get("method"),
                scope.get("root_path", ""),
                name,
                status[0],
                (time.perf_counter() - started) * 1000,
            )

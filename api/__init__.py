"""The lookup API for the helpdesk and CRM syncs (FastAPI). Reads only the published snapshot
(``HOME/current``), never the warehouse; reloads when ``current`` is switched.

Public API: ``create_app(home)``; ``edin serve --home DIR`` runs it on 127.0.0.1. Its tokens
(``edin token``): ``TokenStore``, ``ApiToken``, ``TokenError``.
"""

from api.app import create_app
from api.tokens import ApiToken, TokenError, TokenStore

__all__ = ["ApiToken", "TokenError", "TokenStore", "create_app"]

"""The operators' web app (``edin serve`` mounts it at ``/review``): queues of uncertain
pairs, namesake groups and clusters held for review; one item side by side with the reasons
in words and the actions same person / different people / take a contact out / skip, with
undo; profile search and the profile page (golden record, members, merged timeline, notes).

Public API: ``create_review_app`` (the ASGI app), ``ReviewStore`` (accounts, notes, skips,
journal), ``ReviewError``, ``ROLES``.
"""

from review.app import create_review_app
from review.store import ROLES, ReviewError, ReviewStore

__all__ = ["ROLES", "ReviewError", "ReviewStore", "create_review_app"]

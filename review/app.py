"""The operators' web app: queues of pairs and groups to decide, one item side by side with
the reasons in words, profiles with their golden record, members, merged timeline and notes.

Server-rendered (Jinja2) with htmx served from the package itself; every script and style
comes from ``/static`` of this app (a Content-Security-Policy says so). It reads only the
published snapshot and writes decisions through ``resolution.feedback``; its own accounts,
notes, skips and journal are in ``HOME/review.sqlite`` (``review.store``).

Access: a signed session cookie that expires (or a trusted reverse-proxy header, when
configured), roles operator and admin, a CSRF token on every form (a POST without it is
refused), and no contact value in any log line: requests are logged by route, not by URL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import polars as pl
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.route_log import RouteLog
from normalizers import normalize_email, normalize_phone
from resolution import DecisionError, EdinError, Key, NoSnapshotError
from resolution.feedback import (
    pair_decisions,
    parse_contact,
    record_distinct,
    record_merge,
    record_unmerge,
    revoke_decision,
)
from resolution.matching import ranked_reasons
from review.auth import LOGIN_COOKIE, LOGIN_SECONDS, SESSION_COOKIE, Signer, load_key
from review.queues import (
    PAIR_COLUMNS,
    Filters,
    PairKey,
    pair_item,
    pair_key,
    pair_statuses,
    parse_pair_item,
    uncertain_pairs,
)
from review.snapshot import SnapshotCache, SnapshotView
from review.store import Action, ReviewError, ReviewStore, User
from review.words import kept_apart, local_time, reasons, translator, verdict

log = logging.getLogger("edin.review")
HERE = Path(__file__).parent
LANG_COOKIE = "edin_lang"
PAGE = 30
# Actions that wrote a decision (undo revokes it); the others live in review.sqlite only.
DECIDING = ("same", "different", "takeout")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def see_other(request: Request, target: str) -> Response:
    """Where to go after a POST: a 303, or for htmx (which would follow a 303 inside its
    request and leave the address bar behind) an ``HX-Redirect`` to load the page."""
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


class NotSignedIn(Exception):
    """No valid session (or trusted header) on the request."""


class Refused(Exception):
    """A request refused: ``status`` and a message key of ``review.words``."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status, self.key = status, key


@dataclass(frozen=True)
class Ctx:
    """Who is asking, and how to speak to them."""

    user: User
    nonce: str
    csrf: str
    lang: str
    base: str

    @property
    def t(self) -> Any:
        return translator(self.lang)


def _key_text(key: Key) -> str:
    return f"{key[0]}:{key[1]}"


def _joined_key(side: str) -> pl.Expr:
    """``source<US>source_id`` of one side of a pair table."""
    return pl.concat_str(pl.col(f"source_{side}"), pl.lit("\x1f"), pl.col(f"source_id_{side}"))


def _review_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The review app's security headers: scripts, styles and fonts from the app only."""
    return [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"cache-control", b"no-store"),
    ]


def _review_unmatched(path: str) -> str:
    return "/static" if path.endswith((".js", ".css")) else "?"


def create_review_app(
    home: Path | str,
    trusted_header: str | None = None,
    secure_cookies: bool = False,
) -> FastAPI:
    """The review app over one run home (mount it, e.g. at ``/review``).

    ``trusted_header``: a header a reverse proxy sets to the signed-in user's name (the user
    must have an account here, for its role); only set it when every request comes through
    that proxy. ``secure_cookies``: mark cookies Secure (behind HTTPS)."""
    home = Path(home)
    store = ReviewStore(home)
    cache = SnapshotCache(home)
    signer = Signer(load_key(home))
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app = FastAPI(title="edin review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(RouteLog, logger=log, headers=_review_headers, unmatched=_review_unmatched)
    app.state.cache = cache  # the snapshot's view (tests and benchmarks reach it here)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # ------------------------------------------------------------ plumbing

    def base_of(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def lang_of(request: Request, user: User | None) -> str:
        chosen = request.cookies.get(LANG_COOKIE)
        if chosen in ("ru", "en"):
            return str(chosen)
        return user.lang if user else "ru"

    def context(request: Request) -> Ctx:
        """The signed-in operator, or ``NotSignedIn``."""
        user: User | None = None
        nonce = ""
        if trusted_header:
            name = request.headers.get(trusted_header)
            user = store.user(name) if name else None
            nonce = f"proxy:{name}"
        if user is None:
            session = signer.read_session(request.cookies.get(SESSION_COOKIE))
            if session is not None:
                user, nonce = store.user(session.user), session.nonce
        if user is None:
            raise NotSignedIn()
        return Ctx(user, nonce, signer.csrf_token(nonce), lang_of(request, user), base_of(request))

    async def posted(request: Request, admin: bool = False) -> tuple[Ctx, dict[str, Any]]:
        """The operator and the form of a POST whose CSRF token holds; refused otherwise."""
        ctx = context(request)
        form = await request.form()
        token = form.get("csrf") or request.headers.get("x-csrf-token")
        if not signer.check_csrf(ctx.nonce, str(token) if token else None):
            raise Refused(403, "csrf")
        if admin and not ctx.user.is_admin:
            raise Refused(403, "forbidden")
        fields: dict[str, Any] = {}
        for k, v in form.multi_items():
            if isinstance(v, str):
                fields.setdefault(k, []).append(v)
        return ctx, {k: v if len(v) > 1 else v[0] for k, v in fields.items()}

    def render(
        request: Request, ctx: Ctx | None, name: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        lang = ctx.lang if ctx else lang_of(request, None)
        if ctx is not None and "done" not in values:
            values["done"] = _done_action(ctx, request.query_params.get("done", ""))
        values.setdefault("undone", request.query_params.get("undone") == "1")
        html = env.get_template(name).render(
            ctx=ctx,
            t=translator(lang),
            lang=lang,
            base=base_of(request),
            path=request.url.path,
            fmt=lambda v, with_time=True: local_time(
                v, ctx.user.tz if ctx else "Europe/Moscow", with_time
            ),
            key_text=_key_text,
            urlq=quote,
            **values,
        )
        return HTMLResponse(html, status_code=status)

    def safe_next(ctx_base: str, target: str | None, default: str) -> str:
        """A local URL of this app to go to next (never another site)."""
        if target and target.startswith(ctx_base + "/") and not target.startswith("//"):
            return target
        return ctx_base + default

    def view() -> SnapshotView:
        return cache.get()

    def decided() -> dict[PairKey, str]:
        return {
            ((sl, il), (sr, ir)): label
            for sl, il, sr, ir, label in pair_decisions(home).iter_rows()
        }

    def filters_of(request: Request) -> Filters:
        p = request.query_params

        def number(name: str) -> float | None:
            try:
                return float(p[name]) if p.get(name) else None
            except ValueError:
                return None

        return Filters(
            source=p.get("source", ""),
            city=p.get("city", ""),
            channel=p.get("channel", ""),
            score_min=number("score_min"),
            score_max=number("score_max"),
        )

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(
                f"{base_of(request)}/login?{urlencode({'next': target})}", status_code=303
            )
        return render(request, None, "error.html", 401, message_key="sign_in")

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return render(request, None, "error.html", exc.status, message_key=exc.key)

    @app.exception_handler(NoSnapshotError)
    async def no_snapshot(request: Request, exc: NoSnapshotError) -> Response:
        return render(request, None, "error.html", 503, message_key="no_snapshot")

    # ------------------------------------------------------------ sign in

    @app.get("/login")
    def login_form(request: Request, next: str = "") -> Response:
        nonce = signer.new_session("-")[0].nonce
        response = render(
            request, None, "login.html", csrf=signer.csrf_token("login:" + nonce), next=next
        )
        response.set_cookie(
            LOGIN_COOKIE,
            nonce,
            max_age=LOGIN_SECONDS,
            httponly=True,
            samesite="strict",
            secure=secure_cookies,
        )
        return response

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        nonce = request.cookies.get(LOGIN_COOKIE)
        token = form.get("csrf")
        if not nonce or not signer.check_csrf("login:" + nonce, str(token) if token else None):
            raise Refused(403, "csrf")
        user = store.authenticate(str(form.get("user", "")), str(form.get("password", "")))
        if user is None:
            log.info("sign-in refused")
            response = render(
                request,
                None,
                "login.html",
                401,
                csrf=signer.csrf_token("login:" + nonce),
                next=str(form.get("next", "")),
                error=True,
            )
            return response
        log.info("signed in: %s (%s)", user.name, user.role)
        _, cookie = signer.new_session(user.name)
        target = safe_next(base_of(request), str(form.get("next", "")), "/")
        signed_in = RedirectResponse(target, status_code=303)
        signed_in.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=signer.session_seconds,
            httponly=True,
            samesite="lax",
            secure=secure_cookies,
        )
        signed_in.delete_cookie(LOGIN_COOKIE)
        return signed_in

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await posted(request)
        response = see_other(request, f"{base_of(request)}/login")
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/lang/{code}")
    def language(request: Request, code: str, next: str = "") -> Response:
        ctx = context(request)
        response = RedirectResponse(safe_next(ctx.base, next, "/"), status_code=303)
        if code in ("ru", "en"):
            response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
        return response

    # ------------------------------------------------------------ queues

    @app.get("/")
    def overview(request: Request) -> Response:
        ctx = context(request)
        v = view()
        done = decided()
        skipped = store.skipped(ctx.user.name)
        uncertain = uncertain_pairs(
            v.reasons, v.members, done, _skipped_pairs(skipped), Filters(), 1000
        ).height
        open_groups = sum(1 for g in v.namesakes if _group_open(v, g.keys, done, skipped))
        return render(
            request,
            ctx,
            "overview.html",
            run_id=v.run_id,
            counts={
                "uncertain": uncertain,
                "namesakes": open_groups,
                "review": len(v.review),
                "profiles": len(v.profile_rows),
                "contacts": len(v.contacts),
            },
        )

    def _skipped_pairs(skipped: set[str]) -> list[PairKey]:
        return [p for p in (parse_pair_item(i) for i in skipped) if p is not None]

    def _group_open(
        v: SnapshotView, keys: tuple[Key, ...], done: dict[PairKey, str], skipped: set[str]
    ) -> bool:
        """Whether some pair of the group in two profiles is undecided and not skipped."""
        for n, a in enumerate(keys):
            for b in keys[n + 1 :]:
                if v.profile_of[a] == v.profile_of[b]:
                    continue
                if pair_key(a, b) not in done and pair_item(a, b) not in skipped:
                    return True
        return False

    @app.get("/queues/uncertain")
    def queue_uncertain(request: Request) -> Response:
        ctx = context(request)
        v = view()
        f = filters_of(request)
        skipped = store.skipped(ctx.user.name)
        queue = uncertain_pairs(v.reasons, v.members, decided(), _skipped_pairs(skipped), f, PAGE)
        items = [
            {
                "a": (r["source_l"], r["source_id_l"]),
                "b": (r["source_r"], r["source_id_r"]),
                "score": r["score"],
                "left": v.contacts[(r["source_l"], r["source_id_l"])],
                "right": v.contacts[(r["source_r"], r["source_id_r"])],
                "same_profile": r["profile_id_l"] == r["profile_id_r"],
            }
            for r in queue.iter_rows(named=True)
        ]
        return render(
            request,
            ctx,
            "queue_uncertain.html",
            items=items,
            filters=f,
            view=v,
            next_url=f"{ctx.base}/queues/uncertain/next?{f.query()}",
            here=f"{ctx.base}/queues/uncertain?{f.query()}",
        )

    @app.get("/queues/uncertain/next")
    def queue_uncertain_next(request: Request) -> Response:
        ctx = context(request)
        v = view()
        f = filters_of(request)
        skipped = store.skipped(ctx.user.name)
        queue = uncertain_pairs(v.reasons, v.members, decided(), _skipped_pairs(skipped), f, 1)
        # what the operator just did (and its undo) is shown on the page this leads to
        carried = {
            k: request.query_params[k] for k in ("done", "undone") if k in request.query_params
        }
        if queue.height == 0:
            target = f"{ctx.base}/queues/uncertain?{f.query()}"
            extra = urlencode(carried)
            return RedirectResponse(target + (f"&{extra}" if extra else ""), 303)
        r = queue.row(0, named=True)
        back = f"{ctx.base}/queues/uncertain/next?{f.query()}"
        query = {
            "a": _key_text((r["source_l"], r["source_id_l"])),
            "b": _key_text((r["source_r"], r["source_id_r"])),
            "next": back,
            **carried,
        }
        return RedirectResponse(f"{ctx.base}/pair?{urlencode(query)}", 303)

    @app.get("/queues/namesakes")
    def queue_namesakes(request: Request, page: int = 0) -> Response:
        ctx = context(request)
        v = view()
        f = filters_of(request)
        done = decided()
        skipped = store.skipped(ctx.user.name)
        groups = [
            g
            for g in v.namesakes
            if g.gid not in skipped
            and _group_open(v, g.keys, done, skipped)
            and (f == Filters() or any(f.contact(v.contacts[k]) for k in g.keys))
        ]
        shown = groups[page * PAGE : (page + 1) * PAGE]
        rows = [
            {
                "group": g,
                "profiles": _by_profile(v, g.keys),
            }
            for g in shown
        ]
        return render(
            request,
            ctx,
            "queue_namesakes.html",
            rows=rows,
            total=len(groups),
            page=page,
            pages=(len(groups) + PAGE - 1) // PAGE,
            filters=f,
            view=v,
        )

    def _by_profile(v: SnapshotView, keys: tuple[Key, ...]) -> list[tuple[str, list[Key]]]:
        out: dict[str, list[Key]] = {}
        for k in keys:
            out.setdefault(v.profile_of[k], []).append(k)
        return sorted(out.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    def _group_page(
        request: Request, ctx: Ctx, v: SnapshotView, keys: tuple[Key, ...], **values: Any
    ) -> Response:
        done = decided()
        skipped = store.skipped(ctx.user.name)
        scores: dict[PairKey, float] = {}
        joined = [f"{s}\x1f{i}" for s, i in keys]
        sub = v.reasons.filter(_joined_key("l").is_in(joined) & _joined_key("r").is_in(joined))
        for sl, il, sr, ir, score in sub.select(*PAIR_COLUMNS, "score").iter_rows():
            scores[pair_key((sl, il), (sr, ir))] = score
        statuses = pair_statuses(keys, v.profile_of, scores, done, skipped)
        return render(
            request,
            ctx,
            "group.html",
            keys=keys,
            profiles=_by_profile(v, keys),
            statuses=statuses,
            view=v,
            here=request.url.path,
            open_pairs=sum(1 for s in statuses if s.open),
            **values,
        )

    @app.get("/namesakes/{gid}")
    def namesake_group(request: Request, gid: str) -> Response:
        ctx = context(request)
        v = view()
        group = next((g for g in v.namesakes if g.gid == gid), None)
        if group is None:
            raise Refused(404, "not_found")
        return _group_page(request, ctx, v, group.keys, title=group.display, kind="namesakes")

    @app.get("/queues/review")
    def queue_review(request: Request) -> Response:
        ctx = context(request)
        v = view()
        return render(request, ctx, "queue_review.html", groups=v.review, view=v)

    @app.get("/review-groups/{gid}")
    def review_group(request: Request, gid: str) -> Response:
        ctx = context(request)
        v = view()
        group = next((g for g in v.review if g.gid == gid), None)
        if group is None:
            raise Refused(404, "not_found")
        return _group_page(
            request,
            ctx,
            v,
            group.keys,
            title=ctx.t("review_line", n=len(group.keys)),
            kind="review",
        )

    # ------------------------------------------------------------ one pair

    def marks(v: SnapshotView, key: Key, kind: str, value: str) -> str | None:
        """Why a value of a contact is not the customer's own evidence, if it is not."""
        record = v.record(key)
        if kind == "phones":
            phone = normalize_phone(value)
            if phone is not None and phone.generic:
                return "placeholder"
            return None if value in (record.get("phones") or ()) else "hub"
        if kind == "emails":
            email = normalize_email(value)
            if email is None:
                return None
            if email.generic:
                return "placeholder"
            if "typo_domain" in email.flags:
                return "typo"
            return None if email.key in (record.get("emails") or ()) else "hub"
        return None if value.lower() in (record.get("handles") or ()) else "hub"

    def shared(v: SnapshotView, key: Key, other: Key, kind: str, value: str) -> bool:
        """Whether this value is also on the other contact (compared as the model does)."""
        if kind == "emails":
            a = normalize_email(value)
            theirs = {normalize_email(e) for e in v.contacts[other]["emails"] or []}
            return a is not None and a.key in {e.key for e in theirs if e}
        return value.lower() in {x.lower() for x in v.contacts[other][kind] or []}

    def side(v: SnapshotView, key: Key, other: Key | None) -> dict[str, Any]:
        row = v.contacts[key]
        values = {
            kind: [
                {
                    "value": value,
                    "mark": marks(v, key, kind, value),
                    "shared": other is not None and shared(v, key, other, kind, value),
                }
                for value in row[kind] or []
            ]
            for kind in ("phones", "emails", "handles")
        }
        rec = v.record(key)
        orec = v.record(other) if other else {}
        pid = v.profile_of[key]
        return {
            "key": key,
            "row": row,
            "values": values,
            "name_shared": other is not None
            and rec.get("name")
            and rec.get("name") == orec.get("name"),
            "city_shared": other is not None
            and rec.get("city")
            and rec.get("city") == orec.get("city"),
            "profile_id": pid,
            "profile_size": len(v.members_of.get(pid, [])),
            "history": v.contact_history(key),
        }

    @app.get("/pair")
    def pair_view(request: Request, a: str, b: str, next: str = "") -> Response:
        ctx = context(request)
        v = view()
        try:
            ka, kb = parse_contact(a), parse_contact(b)
        except DecisionError as exc:
            raise Refused(400, "not_found") from exc
        if ka not in v.contacts or kb not in v.contacts or ka == kb:
            raise Refused(404, "not_found")
        row = v.pair_row(ka, kb)
        left, right = v.record(ka), v.record(kb)
        said = reasons(ranked_reasons(row), left, right, ctx.lang) if row else []
        rule = v.kept_apart_row(ka, kb)
        apart = (
            kept_apart(rule, v.profile_of.get(ka) == v.profile_of.get(kb), ctx.lang)
            if rule
            else None
        )
        pk = pair_key(ka, kb)
        return render(
            request,
            ctx,
            "pair.html",
            left=side(v, ka, kb),
            right=side(v, kb, ka),
            score=row["score"] if row else None,
            verdict=verdict(row["score"], v.threshold, ctx.lang) if row else None,
            reasons=said,
            apart=apart,
            decided=decided().get(pk),
            next=safe_next(ctx.base, next, "/queues/uncertain/next"),
            a=_key_text(ka),
            b=_key_text(kb),
        )

    def _done_action(ctx: Ctx, done: str) -> Action | None:
        """The action just taken (shown with its undo button), if it is the operator's."""
        if not done.isdigit():
            return None
        action = store.action(int(done))
        if action is None or (action.operator != ctx.user.name and not ctx.user.is_admin):
            return None
        return action

    def _after(request: Request, target: str, action_id: int) -> Response:
        sep = "&" if "?" in target else "?"
        return see_other(request, f"{target}{sep}done={action_id}")

    @app.post("/decide")
    async def decide(request: Request) -> Response:
        ctx, form = await posted(request)
        v = view()
        try:
            ka, kb = parse_contact(str(form.get("a", ""))), parse_contact(str(form.get("b", "")))
        except DecisionError as exc:
            raise Refused(400, "not_found") from exc
        action = str(form.get("action", ""))
        target = safe_next(ctx.base, str(form.get("next", "")), "/queues/uncertain/next")
        profiles = sorted({v.profile_of.get(ka, "?"), v.profile_of.get(kb, "?")})
        item = pair_item(ka, kb)
        name = ctx.user.name
        try:
            if action == "skip":
                store.skip(name, item)
                action_id = store.log_action(name, "skip", item, v.run_id, profiles)
            elif action == "same":
                got = record_merge(home, [ka, kb], operator=name)
                action_id = store.log_action(
                    name, "same", item, v.run_id, profiles, got.decision_id
                )
            elif action == "different":
                got = record_distinct(home, [ka, kb], operator=name)
                action_id = store.log_action(
                    name, "different", item, v.run_id, profiles, got.decision_id
                )
            elif action in ("takeout_a", "takeout_b"):
                key = ka if action == "takeout_a" else kb
                got = record_unmerge(home, [key], operator=name)
                action_id = store.log_action(
                    name, "takeout", item, v.run_id, [v.profile_of[key]], got.decision_id
                )
            else:
                raise Refused(400, "not_found")
        except EdinError as exc:
            return render(request, ctx, "error.html", 409, message=str(exc))
        log.info("action #%d (%s) by %s", action_id, action, name)
        return _after(request, target, action_id)

    @app.post("/group-decide")
    async def group_decide(request: Request) -> Response:
        ctx, form = await posted(request)
        v = view()
        chosen = form.get("contact", [])
        chosen = [chosen] if isinstance(chosen, str) else chosen
        try:
            keys = sorted({parse_contact(c) for c in chosen})
        except DecisionError as exc:
            raise Refused(400, "not_found") from exc
        action = str(form.get("action", ""))
        target = safe_next(ctx.base, str(form.get("next", "")), "/")
        profiles = sorted({v.profile_of.get(k, "?") for k in keys})
        item = "group:" + "|".join(_key_text(k) for k in keys)
        try:
            if action == "same":
                got = record_merge(home, keys, operator=ctx.user.name)
            elif action == "different":
                got = record_distinct(home, keys, operator=ctx.user.name)
            else:
                raise Refused(400, "not_found")
        except EdinError as exc:
            return render(request, ctx, "error.html", 409, message=str(exc))
        action_id = store.log_action(
            ctx.user.name, action, item, v.run_id, profiles, got.decision_id
        )
        log.info("action #%d (%s, %d contacts) by %s", action_id, action, len(keys), ctx.user.name)
        return _after(request, target, action_id)

    @app.post("/undo")
    async def undo(request: Request) -> Response:
        ctx, form = await posted(request)
        raw = str(form.get("action_id", ""))
        if raw == "last":
            mine = [a for a in store.actions(ctx.user.name, 20) if a.undone_at is None]
            action = mine[0] if mine else None
        else:
            action = store.action(int(raw)) if raw.isdigit() else None
        if action is None:
            raise Refused(404, "not_found")
        if action.operator != ctx.user.name and not ctx.user.is_admin:
            raise Refused(403, "forbidden")
        if action.undone_at is None:
            if action.action in DECIDING and action.decision_id is not None:
                revoke_decision(home, action.decision_id, operator=ctx.user.name)
            elif action.action == "skip":
                store.unskip(action.operator, action.item)
            elif action.action == "note" and action.note_id is not None:
                store.delete_note(action.note_id)
            store.mark_undone(action.id, ctx.user.name)
            log.info("action #%d undone by %s", action.id, ctx.user.name)
        target = safe_next(ctx.base, str(form.get("next", "")), "/journal")
        pair = parse_pair_item(action.item)
        if raw == "last" and pair is not None:
            # back to the item itself, to decide it again
            query = urlencode({"a": _key_text(pair[0]), "b": _key_text(pair[1]), "next": target})
            target = f"{ctx.base}/pair?{query}"
        sep = "&" if "?" in target else "?"
        return see_other(request, f"{target}{sep}undone=1")

    # ------------------------------------------------------------ profiles

    @app.get("/search")
    def search(request: Request, q: str = "") -> Response:
        ctx = context(request)
        v = view()
        found = v.search(q) if q else []
        template = "search_results.html" if request.headers.get("hx-request") else "search.html"
        return render(request, ctx, template, q=q, found=[v.profile_rows[p] for p in found], view=v)

    @app.get("/profiles/{profile_id}")
    def profile(request: Request, profile_id: str) -> Response:
        ctx = context(request)
        v = view()
        pid = v.resolve(profile_id)
        if pid is None or pid not in v.profile_rows:
            raise Refused(404, "not_found")
        if pid != profile_id:
            return RedirectResponse(
                f"{ctx.base}/profiles/{pid}?{urlencode({'from': profile_id})}", status_code=303
            )
        row = v.profile_rows[pid]
        keys = v.members_of.get(pid, [])
        members = [side(v, k, None) for k in keys]
        golden = {
            kind: [
                {"value": value, "mark": _profile_mark(v, keys, kind, value)}
                for value in row[kind] or []
            ]
            for kind in ("phones", "emails", "handles")
        }
        notes, questions = _notes_of(v, pid)
        pending = [
            a
            for a in store.actions(None, 200)
            if a.snapshot == v.run_id
            and pid in a.profile_ids
            and a.undone_at is None
            and a.action in DECIDING
        ]
        return render(
            request,
            ctx,
            "profile.html",
            p=row,
            golden=golden,
            members=members,
            history=v.profile_history(pid),
            notes=notes,
            questions=questions,
            pending=pending,
            merged_from=[a for a in v.aliases.get(pid, []) if a != pid],
            came_from=request.query_params.get("from"),
            view=v,
            here=request.url.path,
        )

    def _profile_mark(v: SnapshotView, keys: list[Key], kind: str, value: str) -> str | None:
        holders = [k for k in keys if value in (v.contacts[k][kind] or [])]
        got = {marks(v, k, kind, value) for k in holders} or {None}
        if "placeholder" in got:
            return "placeholder"
        if "typo" in got:
            return "typo"
        return "hub" if got == {"hub"} else None

    def _notes_of(v: SnapshotView, pid: str) -> tuple[list[Any], list[dict[str, Any]]]:
        """The notes shown on a profile (its own and those of every profile merged into it),
        and the questions a split asks: notes written before a split between this profile
        and another, not yet settled."""
        notes = store.notes(v.aliases.get(pid, [pid]))
        splits = v.changes.filter(
            (pl.col("event") == "split")
            & ((pl.col("profile_id") == pid) | (pl.col("other_id") == pid))
        )
        questions: list[dict[str, Any]] = []
        for parent, child, at in splits.select("profile_id", "other_id", "at").iter_rows():
            other = child if parent == pid else parent
            if v.resolve(other) is None:
                continue
            for note in store.notes([parent]):
                if note.settled_at is None and datetime.fromisoformat(note.at) <= at:
                    questions.append({"note": note, "here": pid, "other": v.resolve(other)})
        asked = {q["note"].id for q in questions}
        return [n for n in notes if n.id not in asked], questions

    @app.post("/profiles/{profile_id}/notes")
    async def add_note(request: Request, profile_id: str) -> Response:
        ctx, form = await posted(request)
        v = view()
        pid = v.resolve(profile_id)
        if pid is None:
            raise Refused(404, "not_found")
        try:
            note = store.add_note(pid, ctx.user.name, str(form.get("body", "")))
        except ReviewError as exc:
            return render(request, ctx, "error.html", 400, message=str(exc))
        action_id = store.log_action(
            ctx.user.name, "note", f"profile:{pid}", v.run_id, [pid], note_id=note.id
        )
        log.info("note #%d on a profile by %s", note.id, ctx.user.name)
        return _after(request, f"{ctx.base}/profiles/{pid}", action_id)

    @app.post("/notes/{note_id}/settle")
    async def settle_note(request: Request, note_id: int) -> Response:
        ctx, form = await posted(request)
        v = view()
        note = store.note(note_id)
        target = v.resolve(str(form.get("profile_id", "")))
        if note is None or target is None:
            raise Refused(404, "not_found")
        store.settle_note(note_id, target)
        action_id = store.log_action(
            ctx.user.name,
            "move_note",
            f"note:{note_id}",
            v.run_id,
            [note.profile_id, target],
            note_id=note_id,
        )
        back = safe_next(ctx.base, str(form.get("next", "")), f"/profiles/{target}")
        return _after(request, back, action_id)

    # ------------------------------------------------------------ journal, accounts

    @app.get("/journal")
    def journal(request: Request) -> Response:
        ctx = context(request)
        actions = store.actions(None if ctx.user.is_admin else ctx.user.name, 100)
        return render(request, ctx, "journal.html", actions=actions)

    @app.get("/admin/users")
    def users(request: Request) -> Response:
        ctx = context(request)
        if not ctx.user.is_admin:
            raise Refused(403, "forbidden")
        return render(request, ctx, "users.html", users=store.users())

    return app

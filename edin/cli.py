"""The ``edin`` command line: run the pipeline, generate synthetic data, evaluate a clustering,
follow the change feed, export, record operator decisions, serve the lookup API and the
operators' review app, and manage the review app's accounts and the API's tokens."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import re
import sys
from pathlib import Path

from resolution import EdinError

# Errors of the machine, not of the program: the user can fix them and run again.
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT, errno.EPERM})


class UsageError(EdinError):
    """The command line names something that is not there."""


# dedupe's training samples from sets of strings: a fixed hash seed makes runs reproducible.
HASH_SEED = "0"


def _reexec_with_hash_seed() -> None:
    if os.environ.get("PYTHONHASHSEED") != HASH_SEED:
        env = dict(os.environ, PYTHONHASHSEED=HASH_SEED)
        os.execve(sys.executable, [sys.executable, "-m", "edin", *sys.argv[1:]], env)


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[edin %(asctime)s] %(message)s", "%H:%M:%S"))
    log = logging.getLogger("edin")
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
    for noisy in ("dedupe", "dagster"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def cmd_run(args: argparse.Namespace) -> int:
    from edin.runner import run_pipeline
    from pipelines.resources import EdinResource
    from resolution import load_config

    load_config(args.config)  # fail fast on a bad config, before Dagster starts
    for path in args.inputs:
        if not path.exists():
            raise UsageError(f"input {path} does not exist")
    if args.labels and not args.labels.exists():
        raise UsageError(f"labels file {args.labels} does not exist")
    if args.delete and not args.delete.is_file():
        raise UsageError(f"delete list {args.delete} does not exist")
    edin = EdinResource(
        home=str(args.home),
        inputs=[str(p) for p in args.inputs],
        config_file=str(args.config) if args.config else None,
        labels_file=str(args.labels) if args.labels else None,
        retrain=args.retrain,
        full=args.full,
        full_export=args.full_export,
        deletes_file=str(args.delete) if args.delete else None,
        accept_mass_change=args.accept_mass_change,
        engine=args.engine,
    )
    summary = run_pipeline(edin)
    print(summary.render())
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from synth import generate, write_dataset

    ds = generate(args.persons, seed=args.seed)
    paths = write_dataset(ds, args.out)
    print(
        f"generated {ds.contacts.height:,} contacts, {ds.interactions.height:,} interactions "
        f"of {args.persons:,} people (seed {args.seed}):"
    )
    for name, path in paths.items():
        print(f"  {name:<13} {path}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from resolution import evaluate, format_scores, read_file

    scores = evaluate(read_file(args.truth), read_file(args.members))
    if args.json:
        print(json.dumps(scores.as_dict(), indent=2))
    else:
        print(format_scores(scores))
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    from resolution import Home
    from resolution.publishing import events_since, require_published, write_export

    published = require_published(args.home)
    known = set(published.changes["run_id"].unique().to_list()) | {published.run_id}
    if args.since and args.since not in known and not Home(args.home).snapshot(args.since).exists():
        print(
            f"edin: note: no run {args.since} in {args.home}; showing events of runs "
            "published after it",
            file=sys.stderr,
        )
    events = events_since(published.changes, args.since)
    if args.out:
        write_export(events, args.out)
        print(f"{events.height:,} event(s) since {args.since or 'the first run'} → {args.out}")
    else:
        for row in events.iter_rows(named=True):
            print(json.dumps(row, ensure_ascii=False, default=str))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from resolution.publishing import EXPORT_TABLES, export_tables, require_published

    published = require_published(args.home)
    tables = {name: getattr(published, name) for name in EXPORT_TABLES}
    for path in export_tables(tables, args.out, args.format):
        print(path)
    return 0


def _decide(args: argparse.Namespace, kind: str) -> int:
    from resolution import Home
    from resolution.feedback import parse_contact, record_merge, record_unmerge

    contacts = [parse_contact(c) for c in args.contacts]
    record = record_unmerge if kind == "unmerge" else record_merge
    got = record(args.home, contacts, operator=args.operator, note=args.note)
    print(
        f"decision #{got.decision_id} ({got.kind}, {got.pairs} contact pair(s), profile(s) "
        f"{', '.join(got.profile_ids)}) recorded in {Home(args.home).decisions}; "
        "the next `edin run` applies it"
    )
    return 0


def cmd_unmerge(args: argparse.Namespace) -> int:
    return _decide(args, "unmerge")


def cmd_merge(args: argparse.Namespace) -> int:
    return _decide(args, "merge")


def cmd_explain(args: argparse.Namespace) -> int:
    from edin.explain import explain_contact, explain_pair
    from resolution.feedback import parse_contact

    keys = [parse_contact(c) for c in args.contacts]
    if len(keys) == 1:
        print(explain_contact(args.home, keys[0]))
    elif len(keys) == 2:
        print(explain_pair(args.home, keys[0], keys[1]))
    else:
        raise UsageError("name one contact (its profile) or two (their pair)")
    return 0


def cmd_label(args: argparse.Namespace) -> int:
    from edin.label import run_label
    from resolution import Home

    labels = args.labels or Home(args.home).labels
    if args.answers:
        if not args.answers.is_file():
            raise UsageError(f"answers file {args.answers} does not exist")
        with args.answers.open(encoding="utf-8") as answers:
            counts = run_label(args.home, labels, args.max, answers, sys.stdout, False)
    else:
        counts = run_label(args.home, labels, args.max, sys.stdin, sys.stdout, sys.stdin.isatty())
    print(
        f"{counts['match']} match, {counts['distinct']} distinct → {labels}; "
        f"{counts['unsure']} unsure (not asked again). Train on them with "
        f"`edin run INPUT... --home {args.home} --labels {labels}`"
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from edin.status import status

    print(status(args.home, args.last))
    return 0


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


def check_serve(home: Path, host: str, port: int) -> None:
    """Raises ``UsageError`` unless ``port`` is a TCP port and, when ``host`` is not a
    loopback address, the home has at least one active API token: the API must not answer
    other machines without credentials."""
    from api import TokenStore

    if not 1 <= port <= 65535:
        raise UsageError(f"--port {port} is not a TCP port; give one from 1 to 65535")
    if not _is_loopback(host) and not TokenStore(home).has_active():
        raise UsageError(
            f"--host {host} lets other machines reach the API, and {home} has no API token; "
            f"create one first (`edin token create --home {home} --name NAME`) or serve on "
            "127.0.0.1"
        )


def cmd_erase(args: argparse.Namespace) -> int:
    from resolution import erase, find_person, identifier_query, lift
    from resolution.feedback import parse_contact

    keys = [parse_contact(c) for c in args.contacts]
    given = any((args.email, args.phone, args.handle))
    if given == bool(keys):
        raise UsageError("name the person by one of --email, --phone, --handle, or by contacts")
    ident = identifier_query(args.email, args.phone, args.handle) if given else None
    if args.lift:
        n = lift(args.home, ident, keys)
        print(f"{n} tombstone(s) lifted; the next `edin run` ingests those contacts again")
        return 0
    person = find_person(
        args.home, identifier=ident, contacts=keys, whole_profiles=not args.only_contacts
    )
    got = erase(args.home, person)
    whole = (
        f" (whole profile(s): {got.widened} more contact(s) of the same profile(s); "
        "--only-contacts erases just the named ones)"
        if got.widened
        else ""
    )
    # counts and profile IDs only: a contact value never reaches the terminal or a log
    print(
        f"erased {got.contacts} contact(s){whole}, {got.interactions} interaction(s) and "
        f"profile(s) {', '.join(got.profiles) or '-'} from {got.snapshots} snapshot(s), the "
        f"warehouse, training data, labels, decisions and review notes; `erased` events "
        f"published in run {got.run_id}; {got.tombstones} new tombstone(s) keep them out of "
        "later runs (`edin erase --lift` to undo that)"
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    check_serve(args.home, args.host, args.port)
    import uvicorn

    from api.app import create_app

    app = create_app(args.home, trusted_header=args.trusted_header)
    print(
        f"lookup API http://{args.host}:{args.port}/docs · review app "
        f"http://{args.host}:{args.port}/review/ (accounts: `edin user add`)",
        file=sys.stderr,
    )
    # uvicorn's access log prints every URL, and a search or lookup URL holds contact data:
    # it stays off; the API and the review app log requests by route (api.app.AccessLog,
    # review.app.AccessLog).
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)
    return 0


def _read_password(stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice without echo."""
    import getpass

    if stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise UsageError("the two passwords differ; nothing changed")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    from review import ReviewStore

    store = ReviewStore(args.home)
    if args.action == "list":
        for user in store.users():
            print(f"{user.name}\t{user.role}\t{user.tz}\t{user.lang}")
        return 0
    if not args.name:
        raise UsageError("name the account: edin user add NAME --role operator|admin")
    existed = store.user(args.name) is not None
    user = store.add_user(
        args.name, args.role, _read_password(args.password_stdin), tz=args.tz, lang=args.lang
    )
    print(
        f"{'updated' if existed else 'created'} {user.role} {user.name} "
        f"(time zone {user.tz}) in {store.path}"
    )
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from api import TokenStore

    store = TokenStore(args.home)
    if args.action == "list":
        for token in store.tokens():
            state = f"revoked {token.revoked_at}" if token.revoked_at else "active"
            print(f"{token.name}\tcreated {token.created_at}\t{state}")
        return 0
    name = args.name or args.name_option
    if not name:
        raise UsageError(f"name the token: edin token {args.action} NAME --home {args.home}")
    if args.action == "revoke":
        store.revoke(name)
        print(f"revoked token {name} in {store.path}; it is refused from the next request on")
        return 0
    token = store.create(name)
    print(
        f"created token {name} in {store.path}; it is shown only now, keep it as a secret:",
        file=sys.stderr,
    )
    print(token)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="edin", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="ingest inputs, resolve and publish unified profiles")
    run.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help="input files or folders (contacts.* and interactions.*)",
    )
    run.add_argument(
        "--home",
        type=Path,
        required=True,
        help="run home: warehouse, model, snapshots/ and current/",
    )
    run.add_argument("--config", type=Path, help="TOML config (column mapping, extra fields)")
    run.add_argument(
        "--labels",
        type=Path,
        help="labelled pairs (source_l, source_id_l, source_r, source_id_r, label=match|distinct)",
    )
    run.add_argument(
        "--retrain",
        action="store_true",
        help="train a fresh model (a full re-cluster) instead of reusing the saved "
        "one; profile IDs stay stable either way",
    )
    run.add_argument(
        "--full",
        action="store_true",
        help="block, score and cluster every contact with the home's model (a full "
        "re-cluster) instead of only what the drop touches; profile IDs stay stable either way",
    )
    run.add_argument(
        "--full-export",
        action="store_true",
        help="the inputs are the whole universe: contacts the home holds that they lack are "
        "gone (erased events). Without it, the inputs are a drop added to what the home knows",
    )
    run.add_argument(
        "--delete",
        type=Path,
        metavar="FILE",
        help="contacts to remove (a file with columns source, source_id)",
    )
    run.add_argument(
        "--accept-mass-change",
        action="store_true",
        help="publish even if the run erases or merges away more than [resolution] "
        "max_lost_share of the live profiles",
    )
    run.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        help="where normalize, blocking, scoring, clustering and profiles run: duckdb (this "
        "process) or spark (pyspark, the `spark` extra and Java 17; see docs/SCALE.md). "
        "Default: [resolution] engine",
    )
    run.set_defaults(func=cmd_run)

    gen = sub.add_parser("generate", help="synthetic contacts with ground truth")
    gen.add_argument("--persons", type=int, required=True)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--out", type=Path, required=True)
    gen.set_defaults(func=cmd_generate)

    ev = sub.add_parser("evaluate", help="pairwise and B-cubed scores against a truth file")
    ev.add_argument("--truth", type=Path, required=True, help="source, source_id, entity_id")
    ev.add_argument(
        "--members",
        type=Path,
        required=True,
        help="published members (source, source_id, profile_id)",
    )
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ev.set_defaults(func=cmd_evaluate)

    ch = sub.add_parser("changes", help="the change feed since a run (JSON lines, or a file)")
    ch.add_argument("--home", type=Path, required=True)
    ch.add_argument(
        "--since", metavar="RUN_ID", help="events published after this run (default: all)"
    )
    ch.add_argument("--out", type=Path, help="write to FILE.parquet, .jsonl or .csv")
    ch.set_defaults(func=cmd_changes)

    ex = sub.add_parser("export", help="profiles, members and changes of the current snapshot")
    ex.add_argument("--home", type=Path, required=True)
    ex.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv")
    ex.add_argument("--out", type=Path, required=True, help="folder for the exported files")
    ex.set_defaults(func=cmd_export)

    for name, helptext in (
        ("unmerge", "take contacts out of their profile: not the same person as the rest"),
        ("merge", "these contacts are the same person"),
    ):
        d = sub.add_parser(name, help=helptext + " (applied by the next run)")
        d.add_argument("--home", type=Path, required=True)
        d.add_argument("contacts", nargs="+", metavar="CONTACT", help="SOURCE:SOURCE_ID")
        d.add_argument("--operator", help="who decided (kept with the decision)")
        d.add_argument("--note", help="why (kept with the decision)")
        d.set_defaults(func=cmd_unmerge if name == "unmerge" else cmd_merge)

    xp = sub.add_parser(
        "explain",
        help="why a contact is in its profile, or why two contacts "
        "were (not) matched (reads HOME/current only)",
    )
    xp.add_argument("--home", type=Path, required=True)
    xp.add_argument("contacts", nargs="+", metavar="CONTACT", help="SOURCE:SOURCE_ID (one or two)")
    xp.set_defaults(func=cmd_explain)

    lb = sub.add_parser(
        "label",
        help="answer the model's most uncertain pairs; answers become "
        "training labels for `edin run --labels`",
    )
    lb.add_argument("--home", type=Path, required=True)
    lb.add_argument("--max", type=int, default=20, help="pairs to ask about (default 20)")
    lb.add_argument("--labels", type=Path, help="labels CSV to append to (default HOME/labels.csv)")
    lb.add_argument(
        "--answers",
        type=Path,
        help="read answers (y/n/u/q, one a line) from FILE instead of the console",
    )
    lb.set_defaults(func=cmd_label)

    st = sub.add_parser("status", help="the last runs of a home: contacts, profiles, events")
    st.add_argument("--home", type=Path, required=True)
    st.add_argument("--last", type=int, default=5, help="runs to show (default 5)")
    st.set_defaults(func=cmd_status)

    er = sub.add_parser(
        "erase",
        help="remove a person from every store of a home (snapshots, warehouse, training, "
        "labels, decisions) and keep a salted-hash tombstone",
    )
    er.add_argument("--home", type=Path, required=True)
    er.add_argument("contacts", nargs="*", metavar="CONTACT", help="SOURCE:SOURCE_ID")
    er.add_argument("--email")
    er.add_argument("--phone")
    er.add_argument("--handle")
    er.add_argument(
        "--only-contacts",
        action="store_true",
        help="erase only the contacts matched, not the whole profile(s) they are in",
    )
    er.add_argument(
        "--lift", action="store_true", help="lift the tombstone instead: the next run ingests again"
    )
    er.set_defaults(func=cmd_erase)

    sv = sub.add_parser(
        "serve",
        help="the lookup API (Bearer tokens: `edin token`) and the operators' review app "
        "(/review) on 127.0.0.1 (reads HOME/current only)",
    )
    sv.add_argument("--home", type=Path, required=True)
    sv.add_argument("--port", type=int, default=8000, help="TCP port, 1-65535 (default 8000)")
    sv.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1); any other than a loopback address "
        "only once the home has an API token",
    )
    sv.add_argument(
        "--trusted-header",
        metavar="HEADER",
        help="take the review app's user from this header set by a reverse proxy (such as "
        "X-Remote-User); only when every request comes through that proxy",
    )
    sv.set_defaults(func=cmd_serve)

    us = sub.add_parser("user", help="accounts of the review app (edin serve → /review)")
    us.add_argument("action", choices=("add", "list"), help="add (or reset) an account; list them")
    us.add_argument("name", nargs="?", help="the account's name (add)")
    us.add_argument("--home", type=Path, required=True)
    us.add_argument("--role", choices=("operator", "admin"), default="operator")
    us.add_argument("--tz", default="Europe/Moscow", help="time zone of its pages")
    us.add_argument("--lang", choices=("ru", "en"), default="ru", help="language of its pages")
    us.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (else it is asked without echo)",
    )
    us.set_defaults(func=cmd_user)

    tk = sub.add_parser("token", help="API tokens of the lookup API (edin serve)")
    tks = tk.add_subparsers(dest="action", required=True)
    for action, helptext in (
        ("create", "make a token; it is printed once, only its salted hash is kept"),
        ("list", "every token: name, when made, active or revoked"),
        ("revoke", "refuse a token from the next request on"),
    ):
        one = tks.add_parser(action, help=helptext)
        one.add_argument("--home", type=Path, required=True)
        if action != "list":
            one.add_argument("name", nargs="?", help="the token's name")
            one.add_argument("--name", dest="name_option", metavar="NAME", help="the same")
        one.set_defaults(func=cmd_token, name=None, name_option=None)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "run" and argv is None:
        _reexec_with_hash_seed()
    _setup_logging(args.verbose)
    from resolution import EdinError

    try:
        return int(args.func(args))
    except EdinError as exc:  # what the user can fix; anything else is a bug: its traceback
        print(f"edin: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        problem = _disk_problem(exc)
        if problem is None:
            raise
        # a full disk or a read-only home: every file is written atomically, so nothing is half
        print(
            f"edin: cannot write {problem}; free space or fix the permissions, then run again "
            "(current/ is as it was)",
            file=sys.stderr,
        )
        return 2


# How DuckDB and polars (whose errors are not OSError) say that the disk is full or read-only.
_DISK_WORDS = (
    "No space left on device",
    "Read-only file system",
    "Permission denied",
    "Disk quota exceeded",
    "File too large",
)

_QUOTED_PATH = re.compile(r'file "([^"]+)"')


def _disk_problem(exc: BaseException) -> str | None:
    """What could not be written, when ``exc`` (or what caused it) is the machine's disk
    refusing a write, not a bug; None otherwise."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in DISK_ERRORS:
            return f"{current.filename or 'a file'}: {current.strerror}"
        text = str(current)
        word = next((w for w in _DISK_WORDS if w in text), None)
        if word is not None:
            # DuckDB names the file: 'Could not write file "/home/warehouse.duckdb.wal": …'
            named = _QUOTED_PATH.search(text)
            if named is not None:
                return f"{named.group(1)}: {word}"
            return f"the warehouse or a snapshot ({type(current).__name__}: {word})"
        current = current.__cause__ or current.__context__
    return None

"""The ``edin`` command line: run the pipeline, generate synthetic data, evaluate a clustering."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

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
    from resolution.config import load_config

    load_config(args.config)  # fail fast on a bad config, before Dagster starts
    for path in args.inputs:
        if not path.exists():
            raise SystemExit(f"edin: input {path} does not exist")
    if args.labels and not args.labels.exists():
        raise SystemExit(f"edin: labels file {args.labels} does not exist")
    edin = EdinResource(home=str(args.home), inputs=[str(p) for p in args.inputs],
                        config_file=str(args.config) if args.config else None,
                        labels_file=str(args.labels) if args.labels else None)
    summary = run_pipeline(edin)
    print(summary.render())
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from synth import generate, write_dataset

    ds = generate(args.persons, seed=args.seed)
    paths = write_dataset(ds, args.out)
    print(f"generated {ds.contacts.height:,} contacts, {ds.interactions.height:,} interactions "
          f"of {args.persons:,} people (seed {args.seed}):")
    for name, path in paths.items():
        print(f"  {name:<13} {path}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from resolution.evaluation import evaluate, format_scores, read_table

    scores = evaluate(read_table(args.truth), read_table(args.members))
    if args.json:
        print(json.dumps(scores.as_dict(), indent=2))
    else:
        print(format_scores(scores))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="edin", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="ingest inputs, resolve and publish unified profiles")
    run.add_argument("inputs", nargs="+", type=Path, metavar="INPUT",
                     help="input files or folders (contacts.* and interactions.*)")
    run.add_argument("--home", type=Path, required=True,
                     help="run home: warehouse, model, snapshots/ and current/")
    run.add_argument("--config", type=Path, help="TOML config (column mapping, extra fields)")
    run.add_argument("--labels", type=Path, help="labelled pairs (source_l, source_id_l, "
                     "source_r, source_id_r, label=match|distinct)")
    run.set_defaults(func=cmd_run)

    gen = sub.add_parser("generate", help="synthetic contacts with ground truth")
    gen.add_argument("--persons", type=int, required=True)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--out", type=Path, required=True)
    gen.set_defaults(func=cmd_generate)

    ev = sub.add_parser("evaluate", help="pairwise and B-cubed scores against a truth file")
    ev.add_argument("--truth", type=Path, required=True, help="source, source_id, entity_id")
    ev.add_argument("--members", type=Path, required=True,
                    help="published members (source, source_id, profile_id)")
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ev.set_defaults(func=cmd_evaluate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "run" and argv is None:
        _reexec_with_hash_seed()
    _setup_logging(args.verbose)
    from resolution.config import ConfigError
    from resolution.contract import ContractError
    from resolution.ingest import InputError
    from resolution.model import ModelError

    try:
        return int(args.func(args))
    except (ConfigError, ContractError, InputError, ModelError, FileNotFoundError,
            ValueError) as exc:
        print(f"edin: {exc}", file=sys.stderr)
        return 2

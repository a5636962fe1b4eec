"""Resolution quality side by side: this product, Splink 5, plain dedupe, exact identifiers.

    python bench/quality/run.py [--datasets febrl3,fake_20000,fake_20000_noemail,generated,
                                            febrl1_noid,febrl2_noid,febrl3_noid,febrl4_noid]
                                [--persons 20000] [--seed 101] [--labels 0,50]
                                [--systems edin,splink,dedupe,exact]

On the same prepared data, every system runs in its own child process (lowest CPU priority,
``--timeout`` minutes and a ``--memory-gb`` guard each), its clusters are scored with
``resolution.evaluation``, one Markdown table per data set is printed and one JSON line per
system and label budget is appended to bench/results/quality.jsonl. See bench/quality/README.md
for how each system is configured and why.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from data_sets import IDENTIFIERS, NAMES, REPO, Dataset, prepare  # noqa: E402
from measurement import Measured, run_measured  # noqa: E402
from simulated_answers import answer_queue, read_truth  # noqa: E402
from splink_baseline import DOCUMENTED_THRESHOLD  # noqa: E402

from resolution import Scores, evaluate  # noqa: E402

sys.path.insert(0, str(HERE.parent))
from provenance import provenance  # noqa: E402

RESULTS = REPO / "bench" / "results" / "quality.jsonl"
WORK = REPO / "bench" / "results" / "tmp" / "quality"  # git-ignored
SYSTEMS = ("edin", "splink", "dedupe", "exact")
PRODUCT_CODE = ("edin", "resolution", "normalizers", "pipelines", "data", "pyproject.toml")
HASH_SEED = "0"  # dedupe (inside edin too) samples from sets: a fixed hash seed for repeatability
DEDUPE_MIN_LABELS = 50  # dedupe cannot train without labelled pairs


@dataclass
class Row:
    system: str
    labels: str
    measured: Measured | None
    scores: Scores | None = None
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def _env(product: Path = REPO) -> dict[str, str]:
    return dict(os.environ, PYTHONHASHSEED=HASH_SEED, PYTHONPATH=str(product))


def _product_tree(ref: str | None, work: Path) -> tuple[Path, str]:
    """Where the product's code is imported from, and its version.

    Without ``ref``: this working tree, whose version is its commit plus ``+dirty`` when the
    product's code has uncommitted changes. With ``ref``: that commit exported (``git archive``)
    under ``work``, so edits made while a long benchmark runs cannot leak into it.
    """
    import subprocess

    def git(*a: str) -> str:
        return subprocess.run(
            ["git", *a], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()

    if ref is None:
        dirty = git("status", "--porcelain", "--", *PRODUCT_CODE)
        return REPO, git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")
    sha = git("rev-parse", "--short", ref)
    tree = work / f"product-{sha}"
    if not (tree / "edin").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", sha], cwd=REPO, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree, sha


def _score(ds: Dataset, clusters: pl.DataFrame) -> Scores:
    truth = pl.read_csv(ds.truth, infer_schema=False)
    return evaluate(truth, clusters.rename({"cluster_id": "profile_id"}))


LABEL_ROUND = 10  # answers between two retrains, as in bench/label_curve.py


def _edin_command(ds: Dataset, home: Path, labels: Path | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "edin", "run", str(ds.inputs), "--home", str(home)]
    if ds.config:
        cmd += ["--config", str(ds.config)]
    return cmd + (["--labels", str(labels)] if labels else [])


def _product_labels(
    ds: Dataset, zero_home: Path, out: Path, budget: int, args: argparse.Namespace, product: Path
) -> str:
    """``budget`` answers to the product's own label queue (``edin label``), from the truth.

    Rounds of ``LABEL_ROUND`` answers, the product retrained on the seeds plus all answers so
    far between two rounds (in a copy of the zero-label home), as an operator would work.
    """
    import shutil

    truth = read_truth(ds.truth)
    rounds = out.parent / "rounds"
    _fresh(rounds)
    shutil.copytree(zero_home, rounds, symlinks=True, dirs_exist_ok=True)  # current -> snapshot
    out.unlink(missing_ok=True)
    answered = matched = 0
    while answered < budget:
        got, same = answer_queue(rounds, out, truth, min(LABEL_ROUND, budget - answered))
        answered, matched = answered + got, matched + same
        if got == 0:
            break
        if answered < budget:
            m = run_measured(
                _edin_command(ds, rounds, out),
                log=out.parent / "rounds.log",
                timeout_s=args.timeout * 60,
                memory_gb=args.memory_gb,
                env=_env(product),
                cwd=product,
            )
            if m.status != "ok":
                break
    return (
        f"answered {matched} match, {answered - matched} distinct "
        f"(its label queue, rounds of {LABEL_ROUND})"
    )


def run_edin(
    ds: Dataset, work: Path, budgets: list[int], args: argparse.Namespace, product: Path
) -> list[Row]:
    rows = []
    zero_home = work / "edin_0" / "home"
    for budget in sorted(budgets):
        home = work / f"edin_{budget}" / "home"
        labels = None
        note = "cold start"
        _fresh(home)
        if budget:
            if not (zero_home / "current").exists():
                rows.append(Row("edin", str(budget), None, note="needs the 0-label run first"))
                continue
            labels = work / f"edin_{budget}" / "labels.csv"
            note = _product_labels(ds, zero_home, labels, budget, args, product)
        m = run_measured(
            _edin_command(ds, home, labels),
            log=work / f"edin_{budget}.log",
            timeout_s=args.timeout * 60,
            memory_gb=args.memory_gb,
            env=_env(product),
            cwd=product,
        )
        row = Row("edin", str(budget), m, note=note)
        if m.status == "ok":
            row.scores = _score(
                ds,
                pl.read_parquet(home / "current" / "members.parquet").rename(
                    {"profile_id": "cluster_id"}
                ),
            )
        rows.append(row)
    return rows


def _fresh(home: Path) -> None:
    import shutil

    if home.exists():
        shutil.rmtree(home)
    home.parent.mkdir(parents=True, exist_ok=True)


def run_splink(ds: Dataset, work: Path, args: argparse.Namespace) -> list[Row]:
    out = work / "splink.parquet"
    cmd = [sys.executable, str(HERE / "splink_baseline.py"), ds.name, str(ds.records), str(out)]
    m = run_measured(
        cmd,
        log=work / "splink.log",
        timeout_s=args.timeout * 60,
        memory_gb=args.memory_gb,
        env=_env(),
        cwd=REPO,
    )
    if m.status != "ok":
        return [Row("splink", "n/a", m)]
    clusters = pl.read_parquet(out)
    scored = {
        t: _score(ds, clusters.filter(pl.col("threshold") == t).drop("threshold"))
        for t in clusters["threshold"].unique().sort().to_list()
    }
    best = max(scored, key=lambda t: scored[t].pairwise_f1)
    rows = [
        Row(
            "splink",
            "n/a",
            m,
            scored[DOCUMENTED_THRESHOLD],
            note=f"documented threshold {DOCUMENTED_THRESHOLD}",
            extra={"threshold": DOCUMENTED_THRESHOLD},
        )
    ]
    rows.append(
        Row(
            "splink (truth-picked threshold)",
            "n/a",
            m,
            scored[best],
            note=f"threshold {best} picked by pairwise F1 against the truth; "
            "same run, not a fair comparison",
            extra={
                "threshold": best,
                "pairwise_f1_by_threshold": {
                    str(t): round(s.pairwise_f1, 4) for t, s in scored.items()
                },
            },
        )
    )
    return rows


def run_dedupe(ds: Dataset, work: Path, budgets: list[int], args: argparse.Namespace) -> list[Row]:
    budget = max([b for b in budgets if b] or [DEDUPE_MIN_LABELS])
    out = work / f"dedupe_{budget}.parquet"
    cmd = [
        sys.executable,
        str(HERE / "dedupe_baseline.py"),
        ds.name,
        str(ds.records),
        str(ds.truth),
        str(out),
        "--labels",
        str(budget),
    ]
    m = run_measured(
        cmd,
        log=work / f"dedupe_{budget}.log",
        timeout_s=args.timeout * 60,
        memory_gb=args.memory_gb,
        env=_env(),
        cwd=REPO,
    )
    answered = [
        line
        for line in m.log.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.startswith("dedupe: answered")
    ]
    row = Row(
        "dedupe",
        str(budget),
        m,
        note=(answered[0].removeprefix("dedupe: ") + " (its uncertain pairs)") if answered else "",
    )
    if m.status == "ok":
        row.scores = _score(ds, pl.read_parquet(out))
    return [row]


def run_exact(ds: Dataset, work: Path, args: argparse.Namespace) -> list[Row]:
    columns = IDENTIFIERS[ds.name]
    if not columns:
        return []
    out = work / "exact.parquet"
    cmd = [
        sys.executable,
        str(HERE / "exact_identifiers.py"),
        str(ds.records),
        str(out),
        "--columns",
        ",".join(columns),
    ]
    m = run_measured(
        cmd,
        log=work / "exact.log",
        timeout_s=args.timeout * 60,
        memory_gb=args.memory_gb,
        env=_env(),
        cwd=REPO,
    )
    row = Row("exact identifiers", "n/a", m, note=f"{'/'.join(columns)}, values on <= 25 records")
    if m.status == "ok":
        row.scores = _score(ds, pl.read_parquet(out))
    return [row]


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def table(ds: Dataset, rows: list[Row]) -> str:
    title = f"### {ds.name} ({ds.contacts:,} contacts{', ' + ds.note if ds.note else ''})"
    head = (
        "| system | labels | pairwise P | pairwise R | pairwise F1 | B-cubed P | B-cubed R "
        "| B-cubed F1 | seconds | peak GB |"
    )
    lines = [title, "", head, "|" + "---|" * 10]
    for r in rows:
        s, m = r.scores, r.measured
        if s is None:
            status = m.status if m else r.note
            cells = [status, "", "", "", "", ""]
        else:
            cells = [
                _fmt(v)
                for v in (
                    s.pairwise_precision,
                    s.pairwise_recall,
                    s.pairwise_f1,
                    s.bcubed_precision,
                    s.bcubed_recall,
                    s.bcubed_f1,
                )
            ]
        timing = [f"{m.seconds:.0f}", f"{m.peak_gb:.2f}"] if m else ["", ""]
        lines.append("| " + " | ".join([r.system, r.labels, *cells, *timing]) + " |")
    return "\n".join(lines)


def record(ds: Dataset, rows: list[Row], args: argparse.Namespace, version: str) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with RESULTS.open("a", encoding="utf-8") as f:
        for r in rows:
            line = {
                "date": now,
                "dataset": ds.name,
                "contacts": ds.contacts,
                "system": r.system,
                "labels": r.labels,
                "status": r.measured.status if r.measured else r.note,
                "seconds": r.measured.seconds if r.measured else None,
                "peak_gb": r.measured.peak_gb if r.measured else None,
                "note": r.note,
                **r.extra,
                **provenance(),
            }
            if r.system == "edin":
                line["product"] = version
            if ds.name == "generated":
                line |= {"persons": args.persons, "seed": args.seed}
            if r.scores:
                line |= r.scores.as_dict()
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default=",".join(NAMES))
    p.add_argument("--persons", type=int, default=20000, help="generated data: people")
    p.add_argument(
        "--seed",
        type=int,
        default=101,
        help="generated data: seed (101 is held out: no design used it)",
    )
    p.add_argument("--labels", default="0,50", help="label budgets for the product")
    p.add_argument("--systems", default=",".join(SYSTEMS))
    p.add_argument("--timeout", type=float, default=30, help="minutes per system run")
    p.add_argument("--memory-gb", type=float, default=12, help="memory guard per system run")
    p.add_argument("--workdir", type=Path, default=WORK)
    p.add_argument(
        "--product-ref",
        help="run the product at this git commit (exported under "
        "--workdir) instead of the working tree, which others may be editing",
    )
    p.add_argument("--no-record", action="store_true", help="do not append to quality.jsonl")
    args = p.parse_args(argv)
    budgets = [int(b) for b in args.labels.split(",")]
    systems = args.systems.split(",")
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        p.error(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)}")

    product, version = _product_tree(args.product_ref, args.workdir)
    print(f"[quality] product {version} from {product}", file=sys.stderr)
    for name in args.datasets.split(","):
        ds = prepare(name, args.workdir, persons=args.persons, seed=args.seed)
        work = ds.records.parent / "runs"
        print(f"[quality] {ds.name}: {ds.contacts:,} contacts in {ds.inputs}", file=sys.stderr)
        rows: list[Row] = []
        for system in systems:
            print(f"[quality] {ds.name}: {system} ...", file=sys.stderr, flush=True)
            if system == "edin":
                rows += run_edin(ds, work, budgets, args, product)
            elif system == "splink":
                rows += run_splink(ds, work, args)
            elif system == "dedupe":
                rows += run_dedupe(ds, work, budgets, args)
            else:
                rows += run_exact(ds, work, args)
        print(table(ds, rows) + "\n", flush=True)
        notes = [f"- {r.system} ({r.labels}): {r.note}" for r in rows if r.note]
        print("\n".join(notes) + "\n", flush=True)
        if not args.no_record:
            record(ds, rows, args, version)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fault campaign: kill `edin run` at random points, fill its disk, make its home read-only.

After every fault it checks what issue 14 asks: ``current/`` holds the same bytes as the last
good snapshot, the run said what happened in one ``edin:`` line with exit 2 (a kill cannot
speak: exit -9), and the next plain ``edin run`` recovers without a manual step (exit 0, every
input contact published or quarantined, no ``.partial`` snapshot left behind).

- **SIGKILL** at ``--kills`` points: a stage is picked at random, and the run (with
  ``--retrain`` every other time, so that training and the model's write are reached) is killed
  (its whole process group) a random fraction of that stage's usual time after it starts.
- **Disk full**: the home is copied onto a tmpfs just large enough for the home plus a share of
  what a run writes (``--disk-steps`` shares from 0 to 100 %), in a user + mount namespace
  (``unshare -rm``: no root needed, a real ENOSPC). The next run is on the home copied back to a
  normal disk (the operator freed space).
- **Disk full at each write** (``--disk-at-stages fresh re-run``): the same tmpfs, filled the
  moment each stage starts (the run paused on its ``▶ <stage>`` line, a filler file leaving 0,
  1/N, 2/N … of what the stage writes free, ``--disk-margins N``; ``--disk-tail``: all it
  writes but its last pages) and before the run (the lock file), on a fresh home and on a
  re-run one. With strace installed, ``strace -Z`` names the write that failed.
- **Read-only**: the home, or one of its folders, bind-mounted read-only (EROFS) in the same way.

Usage (from the repository root; about 15 minutes for 50 kills on data/sample)::

    python bench/faults/campaign.py --kills 50 --disk-steps 12
    python bench/faults/campaign.py --kills 3 --disk-steps 1 --read-only home --disk-at-stages
    python bench/faults/campaign.py --kills 0 --disk-steps 0 --read-only \
        --disk-at-stages fresh re-run --disk-margins 3     # a full disk at each write

Prints a table and appends one JSON line per fault and a summary line to
bench/results/faults.jsonl (``--no-record`` to skip).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
RESULTS = ROOT / "bench" / "results" / "faults.jsonl"
STAGES = (
    "ingest",
    "normalize",
    "labels",
    "train",
    "block",
    "score",
    "cluster",
    "profiles",
    "publish",
)
_STARTED = re.compile(r"▶ (\w+)")
_DONE = re.compile(r"✓ (\w+) in ([\d.]+) s")
READ_ONLY = ("home", "snapshots", "model", "warehouse")


@dataclass
class Outcome:
    fault: str  # kill / disk_full / read_only
    point: str  # the stage running when it struck (or the folder made read-only)
    exit: int
    message_ok: bool  # exit 2 with one `edin:` line and no traceback (a kill: exit -9)
    current_intact: bool
    recovered: bool
    detail: str = ""
    seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    env["PYTHONPATH"] = str(ROOT)
    return env


def edin_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "edin", *args]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        edin_cmd(*args), capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=900
    )


def snapshot_whole(home: Path) -> bool:
    """``current`` is a complete snapshot: every Parquet file and the DuckDB file open."""
    import duckdb
    import polars as pl

    current = home / "current"
    try:
        for path in current.resolve().glob("*.parquet"):
            pl.read_parquet(path)
        duckdb.connect(str(current / "profiles.duckdb"), read_only=True).close()
        return (current / "members.parquet").is_file()
    except Exception:
        return False


def intact(home: Path, before: str | None, target_before: Path | None) -> bool:
    """``current`` is the last good snapshot, byte for byte, or (the fault struck after the
    switch) a new snapshot that is whole."""
    if digest(home) == before:
        return True
    moved = (home / "current").resolve() != target_before
    return moved and snapshot_whole(home)


def digest(home: Path) -> str | None:
    """A hash of every file under ``home/current`` (names and bytes), or None without one."""
    current = home / "current"
    if not current.exists():
        return None
    h = hashlib.sha256()
    for path in sorted(p for p in current.resolve().rglob("*") if p.is_file()):
        h.update(str(path.relative_to(current.resolve())).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def message_ok(proc: subprocess.CompletedProcess[str]) -> bool:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("edin:")]
    return proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr


def last_error(stderr: str) -> str:
    if "Traceback" in stderr:
        return "TRACEBACK: " + stderr.strip().splitlines()[-1][:200]
    lines = [line for line in stderr.splitlines() if line.startswith("edin:")]
    return lines[-1][:200] if lines else ""


def recover(home: Path, inputs: list[str], contacts_in: int) -> tuple[bool, str]:
    """The next plain run on ``home``: exit 0, every contact published or quarantined, no
    ``.partial`` snapshot left."""
    proc = run("run", *inputs, "--home", str(home))
    if proc.returncode != 0:
        return False, f"recovery exit {proc.returncode}: {last_error(proc.stderr)}"
    import polars as pl

    current = home / "current"
    members = pl.read_parquet(current / "members.parquet").height
    quarantine = pl.read_parquet(current / "quarantine.parquet")
    quarantined = quarantine.filter(pl.col("kind") == "contact").height
    if members + quarantined != contacts_in:
        return False, f"recovery published {members} + {quarantined} of {contacts_in} contacts"
    partial = list((home / "snapshots").glob("*.partial"))
    if partial:
        return False, f"{len(partial)} .partial snapshot(s) left"
    return True, ""


def stage_seconds(stderr: str) -> dict[str, float]:
    return {m.group(1): float(m.group(2)) for m in _DONE.finditer(stderr)}


def kill_once(
    home: Path,
    inputs: list[str],
    stage: str,
    typical: dict[str, float],
    rng: random.Random,
    retrain: bool,
    scale: float = 1.0,
) -> tuple[str, int]:
    """Start a run, kill its process group during ``stage``; the stage it was in, exit code."""
    args = ["run", *inputs, "--home", str(home), *(["--retrain"] if retrain else [])]
    proc = subprocess.Popen(
        edin_cmd(*args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_env(),
        cwd=ROOT,
        start_new_session=True,
    )
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    os.set_blocking(fd, False)
    current = "start"
    delay = rng.uniform(0, max(typical.get(stage, 0.2), 0.05)) * scale
    deadline = None
    while proc.poll() is None:
        try:
            chunk = os.read(fd, 1 << 16).decode("utf-8", errors="replace")
        except BlockingIOError:
            chunk = ""
        for m in _STARTED.finditer(chunk):
            current = m.group(1)
            if current == stage and deadline is None:
                deadline = time.monotonic() + delay
        if deadline is not None and time.monotonic() >= deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
            return current, proc.returncode
        time.sleep(0.005)
    proc.stderr.close()
    return current + " (finished before the kill)", proc.returncode


def kills(
    home: Path,
    inputs: list[str],
    n: int,
    typical: dict[str, float],
    rng: random.Random,
    contacts_in: int,
) -> list[Outcome]:
    out = []
    for i in range(n):
        stage = STAGES[i % len(STAGES)] if n >= len(STAGES) else rng.choice(STAGES)
        before, target = digest(home), (home / "current").resolve()
        started = time.perf_counter()
        # a kill aimed at training retrains (a reused model is only read); a run that
        # finished before the kill struck is tried again, sooner
        scale = 1.0
        for _attempt in range(4):
            point, code = kill_once(home, inputs, stage, typical, rng, stage == "train", scale)
            if code == -signal.SIGKILL:
                break
            before, target = digest(home), (home / "current").resolve()
            scale /= 4
        whole = intact(home, before, target)
        ok, detail = recover(home, inputs, contacts_in)
        out.append(
            Outcome(
                "kill",
                point,
                code,
                code == -signal.SIGKILL,
                whole,
                ok,
                detail,
                round(time.perf_counter() - started, 1),
                {"aimed_at": stage},
            )
        )
        report(out[-1])
    return out


# --- disk full and read-only: the run in a user + mount namespace -------------------------------
CHILD = r"""
import json, os, shutil, subprocess, sys
spec = json.loads(sys.argv[1])
mnt = spec["mount"]
if spec["kind"] == "disk_full":
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={spec['size']}", "tmpfs", mnt], check=True)
    home = os.path.join(mnt, "home")
    shutil.copytree(spec["home"], home, symlinks=True)
else:
    home = spec["home"]
    target = home if spec["part"] == "home" else os.path.join(home, spec["part"])
    subprocess.run(["mount", "--bind", target, target], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", target, target], check=True)
proc = subprocess.run(
    spec["cmd"] + ["--home", home], capture_output=True, text=True, env=spec["env"],
    cwd=spec["cwd"],
)
if spec["kind"] == "disk_full":
    shutil.rmtree(spec["home"])
    shutil.copytree(home, spec["home"], symlinks=True)
print(json.dumps({"code": proc.returncode, "stderr": proc.stderr[-20000:]}))
"""


def _in_namespace(script: str, spec: dict[str, object]) -> dict[str, Any]:
    """Run ``script`` (CHILD or CHILD_STAGED) in a user and mount namespace of its own; the
    JSON object its last line prints."""
    child = subprocess.run(
        ["unshare", "-rm", sys.executable, "-c", script, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if child.returncode != 0 or not child.stdout.strip():
        raise RuntimeError(f"namespace helper failed: {child.stderr[-2000:]}")
    got: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return got


def in_namespace(spec: dict[str, object]) -> subprocess.CompletedProcess[str]:
    got = _in_namespace(CHILD, spec)
    return subprocess.CompletedProcess([], got["code"], "", got["stderr"])


def du(path: Path) -> int:
    """Bytes a copy of ``path`` takes on a tmpfs: each file's size or allocated blocks, whichever
    is larger (a copy is not sparse), in whole pages."""
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            total += -(-max(st.st_size, st.st_blocks * 512) // 4096) * 4096
    return total


def _stage_at_failure(stderr: str) -> str:
    started = _STARTED.findall(stderr)
    return started[-1] if started else "start"


def _disk_outcome(
    proc: subprocess.CompletedProcess[str],
    whole: bool,
    ok: bool,
    detail: str,
    started: float,
    extra: dict[str, object],
) -> Outcome:
    """A full-disk fault's outcome: the stage struck (or "finished"), the stop, the checks."""
    finished = proc.returncode == 0
    return Outcome(
        "disk_full",
        _stage_at_failure(proc.stderr) + (" (finished)" if finished else ""),
        proc.returncode,
        finished or message_ok(proc),
        whole,
        ok,
        detail or last_error(proc.stderr),
        round(time.perf_counter() - started, 1),
        extra,
    )


def disk_full(
    home: Path, inputs: list[str], steps: int, grows: int, rng: random.Random, contacts_in: int
) -> list[Outcome]:
    out = []
    for k in range(steps):
        base = du(home)  # each recovery publishes a snapshot more
        share = (k + rng.random()) / steps
        size = base + int(grows * share) + 1024 * 1024  # the copy's own blocks and folders
        before, target = digest(home), (home / "current").resolve()
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as mnt:
            proc = in_namespace(
                {
                    "kind": "disk_full",
                    "mount": mnt,
                    "size": size,
                    "home": str(home),
                    "cmd": edin_cmd("run", *inputs, *(["--retrain"] if k % 2 == 0 else [])),
                    "env": _env(),
                    "cwd": str(ROOT),
                }
            )
        whole = intact(home, before, target)
        ok, detail = recover(home, inputs, contacts_in)
        out.append(
            _disk_outcome(
                proc,
                whole,
                ok,
                detail,
                started,
                {"disk_bytes": size, "share_of_a_run": round(share, 3)},
            )
        )
        report(out[-1])
    return out


# --- disk full at each write: the disk filled the moment a stage starts --------------------------
# The child mounts a tmpfs, copies the home onto it (or none: a fresh home) and starts the run.
# When the run's progress line says that the aimed-at stage starts, the run is paused (SIGSTOP;
# under strace, strace alone: every write waits on it), a filler file takes all the free space
# but ``margin`` bytes, and the run goes on: its next write past the margin gets ENOSPC. Margin 0
# strikes the stage's first write; larger margins, later ones. ``stage`` "start" fills the disk
# before the run (the lock file). With no ``stage`` (a measure) it records the space used when
# each stage starts and the most used during it. With strace, the failed write is named (the
# syscall and its file).
CHILD_STAGED = r"""
import json, os, re, shutil, signal, subprocess, sys, threading, time
spec = json.loads(sys.argv[1])
mnt = spec["mount"]
subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={spec['size']}", "tmpfs", mnt], check=True)
home = os.path.join(mnt, "home")
if os.path.exists(spec["home"]):
    shutil.copytree(spec["home"], home, symlinks=True)

def used():
    st = os.statvfs(mnt)
    return (st.f_blocks - st.f_bfree) * st.f_frsize

def fill(margin):
    st = os.statvfs(mnt)
    free = st.f_bavail * st.f_frsize
    if free > margin:
        fd = os.open(os.path.join(mnt, ".filler"), os.O_CREAT | os.O_WRONLY, 0o600)
        os.posix_fallocate(fd, os.fstat(fd).st_size, free - margin)
        os.close(fd)
    st = os.statvfs(mnt)
    return st.f_bavail * st.f_frsize

trace = spec["trace"]  # on the normal disk: strace must not run out of space itself
cmd = spec["cmd"] + ["--home", home]
if spec["strace"]:
    calls = "write,pwrite64,writev,pwritev,pwritev2,fallocate,ftruncate,copy_file_range,sendfile,"
    calls += "symlink,symlinkat,rename,renameat,renameat2,link,linkat,mkdir,mkdirat"
    cmd = ["strace", "-f", "-qq", "--seccomp-bpf", "-Z", "-y", "-s", "0", "-e", "trace=" + calls,
           "-o", trace] + cmd
aim, stage, free_left = spec["stage"], "start", None
at_start, peak = {}, {}
if aim == "start":
    free_left = fill(spec["margin"])
proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                        env=spec["env"], cwd=spec["cwd"], start_new_session=True)

def pause(on):
    if spec["strace"]:
        os.kill(proc.pid, signal.SIGSTOP if on else signal.SIGCONT)
    else:
        os.killpg(proc.pid, signal.SIGSTOP if on else signal.SIGCONT)

done = False
def watch():
    while not done:
        peak[stage] = max(peak.get(stage, 0), used())
        time.sleep(0.001)
if aim is None:
    threading.Thread(target=watch, daemon=True).start()
err = []
for raw in proc.stderr:
    line = raw.decode("utf-8", "replace")
    err.append(line)
    m = re.search(r"▶ (\w+)", line)
    if not m:
        continue
    stage = m.group(1)
    if aim is None:
        pause(True)
        at_start[stage] = used()
        peak[stage] = at_start[stage]
        pause(False)
    elif stage == aim and free_left is None:
        pause(True)
        free_left = fill(spec["margin"])
        pause(False)
code = proc.wait()
done = True
at_start["end"] = used()
struck = ""
if os.path.exists(trace):
    with open(trace, encoding="utf-8", errors="replace") as f:
        hits = [l for l in f if "ENOSPC" in l]
    if hits:
        struck = re.sub(r"^\d+\s+", "", hits[0].strip())[:300]
    os.remove(trace)
if os.path.exists(spec["home"]):
    shutil.rmtree(spec["home"])
if os.path.exists(home):
    shutil.copytree(home, spec["home"], symlinks=True)
print(json.dumps({"code": code, "stderr": "".join(err)[-20000:], "at_start": at_start,
                  "peak": peak, "free_left": free_left, "struck": struck}))
"""


def in_namespace_staged(spec: dict[str, object]) -> dict[str, object]:
    return _in_namespace(CHILD_STAGED, spec)


def _struck_file(struck: str) -> str:
    """The file of a failed syscall as strace -y prints it (``write(7</x/home/a.tmp>, …``),
    relative to the home; the syscall's name before it."""
    m = re.match(r"(\w+)\(\d+<([^>]*)>", struck) or re.match(r'(\w+)\("([^"]*)"', struck)
    if not m:
        return struck[:80]
    path = re.sub(r"^.*?/home/", "", m.group(2))
    path = re.sub(r"\d{8}T\d{6}Z-\w+", "<run>", path)  # the same write in every run
    path = re.sub(r"\.(\w+)\.\w{8}\.tmp$", r".\1.*.tmp", path)  # mkstemp's random part
    return f"{m.group(1)} {path}"


def disk_full_at_each_stage(
    home: Path | None,
    inputs: list[str],
    margins: int,
    tail: bool,
    stages: list[str],
    contacts_in: int,
    work: Path,
    use_strace: bool,
) -> list[Outcome]:
    """Fill the disk as each stage starts (and before the run: the lock), at ``margins`` free
    amounts from 0 to most of what the stage writes, on ``home`` (a re-run home) or, with
    None, a fresh home each time."""
    label = "fresh" if home is None else "re-run"
    fresh = work / "fresh-home"

    def spec(target: Path, stage: str | None, margin: int, size: int, retrain: bool) -> dict:
        return {
            "mount": "",
            "size": size,
            "home": str(target),
            "cmd": edin_cmd("run", *inputs, *(["--retrain"] if retrain else [])),
            "env": _env(),
            "cwd": str(ROOT),
            "stage": stage,
            "margin": margin,
            "strace": use_strace,
            "trace": str(work / "strace.txt"),
        }

    def call(s: dict) -> dict:
        with tempfile.TemporaryDirectory() as mnt:
            s["mount"] = mnt
            return in_namespace_staged(s)

    # a free run (a copy: the home itself stays as it is) measures the space each stage takes
    probe = work / "probe-home"
    shutil.rmtree(probe, ignore_errors=True)
    if home is not None:
        shutil.copytree(home, probe, symlinks=True)
    roomy = (du(probe) if probe.exists() else 0) * 3 + 2 * 1024**3
    measured = call(spec(probe, None, 0, roomy, retrain=True))
    shutil.rmtree(probe, ignore_errors=True)
    if measured["code"] != 0:
        raise RuntimeError(f"the measuring run failed: {last_error(str(measured['stderr']))}")
    at_start: dict[str, int] = measured["at_start"]  # type: ignore[assignment]
    peak: dict[str, int] = measured["peak"]  # type: ignore[assignment]
    size = max(peak.values()) + at_start["end"] + 64 * 1024 * 1024
    print(f"\n{label} home: space used when each stage starts {at_start}, peak {peak}")
    out = []
    for stage in stages:
        grows = max(peak.get(stage, 0) - at_start.get(stage, 0), 0)
        steps = [0] if stage == "start" else [grows * k // margins for k in range(margins)]
        if tail and stage != "start":  # the stage's last writes: all it wrote but 1 or 4 pages
            steps += [max(grows - 4096 * n, 0) for n in (1, 4)]
        for margin in sorted(set(steps)):
            target = fresh if home is None else home
            if home is None:
                shutil.rmtree(fresh, ignore_errors=True)
            before, was = digest(target), (target / "current").resolve()
            started = time.perf_counter()
            got = call(spec(target, stage, margin, size, retrain=stage == "train"))
            proc = subprocess.CompletedProcess([], int(got["code"]), "", str(got["stderr"]))  # type: ignore[call-overload]
            whole = intact(target, before, was) if target.exists() else True
            ok, detail = recover(target, inputs, contacts_in)
            out.append(
                _disk_outcome(
                    proc,
                    whole,
                    ok,
                    detail,
                    started,
                    {
                        "home": label,
                        "aimed_at": stage,
                        "margin_bytes": margin,
                        "free_left": got["free_left"],
                        "struck": _struck_file(str(got["struck"])) if got["struck"] else "",
                        "disk_bytes": size,
                    },
                )
            )
            report(out[-1])
    return out


def read_only(home: Path, inputs: list[str], parts: list[str], contacts_in: int) -> list[Outcome]:
    out = []
    for part in parts:
        target = home / {"warehouse": ".", "home": "."}.get(part, part)
        if part == "warehouse":
            # the warehouse file alone: bind-mount it read-only over itself
            target = home / "warehouse.duckdb"
        if not target.exists():
            continue
        before = digest(home)
        started = time.perf_counter()
        retrain = ["--retrain"] if part == "model" else []  # or nothing in model/ is written
        proc = in_namespace(
            {
                "kind": "read_only",
                "mount": "",
                "home": str(home),
                "part": "." if part == "home" else str(target.relative_to(home)),
                "cmd": edin_cmd("run", *inputs, *retrain),
                "env": _env(),
                "cwd": str(ROOT),
            }
        )
        same = digest(home) == before
        ok, detail = recover(home, inputs, contacts_in)
        out.append(
            Outcome(
                "read_only",
                part,
                proc.returncode,
                message_ok(proc),
                same,
                ok,
                detail or last_error(proc.stderr),
                round(time.perf_counter() - started, 1),
            )
        )
        report(out[-1])
    return out


RECORD: dict[str, object] = {}  # set by main: where and with what each outcome is appended


def report(o: Outcome) -> None:
    """Print the outcome's row and append it to bench/results at once (a campaign stopped
    halfway keeps what it measured)."""
    print(_row(o), flush=True)
    if RECORD:
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(
                json.dumps(
                    {"benchmark": "faults", **RECORD, **asdict(o), "load": os.getloadavg()[0]},
                    ensure_ascii=False,
                )
                + "\n"
            )


def _row(o: Outcome) -> str:
    return (
        f"| {o.fault:<9} | {o.point:<24} | {o.exit:>4} | {'yes' if o.message_ok else 'NO':<7} | "
        f"{'yes' if o.current_intact else 'NO':<7} | {'yes' if o.recovered else 'NO':<9} | "
        f"{o.detail[:70]}"
        + (
            f" [aimed at {o.extra['aimed_at']}]"
            if "aimed_at" in o.extra and o.fault == "disk_full"
            else ""
        )
        + (f" [struck: {o.extra['struck']}]" if o.extra.get("struck") else "")
    )


HEADER = (
    "| fault     | struck during            | exit | message | current | recovered | detail\n"
    "|---|---|---|---|---|---|---|"
)


def summary(outcomes: list[Outcome]) -> list[dict[str, object]]:
    rows = []
    for fault in ("kill", "disk_full", "read_only"):
        mine = [o for o in outcomes if o.fault == fault]
        if mine:
            rows.append(
                {
                    "fault": fault,
                    "tried": len(mine),
                    # where a fault struck (a run that had room and finished struck nothing)
                    "stages": sorted({o.point.split(" ")[0] for o in mine if o.exit != 0}),
                    "current_intact": sum(o.current_intact for o in mine),
                    "clean_message": sum(o.message_ok for o in mine),
                    "recovered": sum(o.recovered for o in mine),
                }
            )
            struck = sorted({str(o.extra["struck"]) for o in mine if o.extra.get("struck")})
            if struck:
                rows[-1]["writes_struck"] = struck  # as strace named them
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--inputs", nargs="+", default=[str(ROOT / "data" / "sample")])
    p.add_argument("--kills", type=int, default=50)
    p.add_argument("--disk-steps", type=int, default=12)
    p.add_argument("--read-only", nargs="*", default=list(READ_ONLY), choices=READ_ONLY)
    p.add_argument(
        "--disk-at-stages",
        nargs="*",
        default=["fresh", "re-run"],
        choices=("fresh", "re-run"),
        help="fill the disk as each stage starts, on a fresh home and on a re-run one",
    )
    p.add_argument(
        "--disk-margins",
        type=int,
        default=3,
        help="free amounts left when a stage starts: 0 and shares of what the stage writes",
    )
    p.add_argument(
        "--disk-tail",
        action="store_true",
        help="also leave what the stage writes but its last page or last 4 (its last writes)",
    )
    p.add_argument(
        "--disk-stages",
        nargs="+",
        default=["start", *STAGES],
        choices=("start", *STAGES),
        help="the stages whose start fills the disk (start: before the run, the lock)",
    )
    p.add_argument(
        "--strace",
        choices=("auto", "yes", "no"),
        default="auto",
        help="name the write a full disk struck (strace -Z; auto: when strace is installed)",
    )
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--work", type=Path, help="a folder for the home (default: a temporary one)")
    p.add_argument("--no-record", action="store_true", help="do not append to bench/results")
    args = p.parse_args(argv)
    rng = random.Random(args.seed)
    load_before = os.getloadavg()
    import polars as pl

    work = args.work or Path(tempfile.mkdtemp(prefix="edin-faults-"))
    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    first = run("run", *args.inputs, "--home", str(home))
    if first.returncode != 0:
        print(first.stderr[-3000:], file=sys.stderr)
        return 1
    typical = stage_seconds(first.stderr)
    current = home / "current"
    contacts_in = (
        pl.read_parquet(current / "members.parquet").height
        + pl.read_parquet(current / "quarantine.parquet").filter(pl.col("kind") == "contact").height
    )
    size_before = du(home)
    second = run("run", *args.inputs, "--home", str(home), "--retrain")
    grows = max(du(home) - size_before, 1) * 3  # a run also writes files it later replaces
    typical = {k: max(v, typical.get(k, 0)) for k, v in stage_seconds(second.stderr).items()}
    print(f"home {home}; stage seconds {typical}; {contacts_in} contacts in\n\n{HEADER}")
    if not args.no_record:
        from provenance import provenance

        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        RECORD.update(
            {"campaign": f"{started_at}-seed{args.seed}", "commit": provenance()["commit"]}
        )
    outcomes = kills(home, args.inputs, args.kills, typical, rng, contacts_in)
    if args.disk_steps:
        outcomes += disk_full(home, args.inputs, args.disk_steps, grows, rng, contacts_in)
    use_strace = args.strace == "yes" or (args.strace == "auto" and shutil.which("strace"))
    for kind in args.disk_at_stages:
        outcomes += disk_full_at_each_stage(
            None if kind == "fresh" else home,
            args.inputs,
            args.disk_margins,
            args.disk_tail,
            args.disk_stages,
            contacts_in,
            work,
            bool(use_strace),
        )
    outcomes += read_only(home, args.inputs, args.read_only, contacts_in)
    table = summary(outcomes)
    print("\n| fault | tried | current/ intact | clean message | recovered | stages struck |")
    print("|---|---|---|---|---|---|")
    for r in table:
        for write in r.get("writes_struck", []):  # type: ignore[attr-defined]
            print(f"  {r['fault']} struck: {write}")
    for r in table:
        print(
            f"| {r['fault']} | {r['tried']} | {r['current_intact']} | {r['clean_message']} | "
            f"{r['recovered']} | {', '.join(r['stages'])} |"  # type: ignore[arg-type]
        )
    if not args.no_record:
        from provenance import provenance

        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(
                json.dumps(
                    {
                        "benchmark": "faults_summary",
                        "inputs": args.inputs,
                        "seed": args.seed,
                        "summary": table,
                        "load_before": load_before,
                        "load_after": os.getloadavg(),
                    }
                    | provenance()
                )
                + "\n"
            )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    bad = [o for o in outcomes if not (o.current_intact and o.recovered and o.message_ok)]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Run one system as a child process with a time limit and a memory guard; measure both.

The child runs at the lowest CPU priority in its own process group, with ``RLIMIT_AS`` set to
the guard (an allocation beyond it fails inside the child) and, because address space is not
resident memory and a system may fork workers, the parent also samples the memory of the whole
process tree (proportional set size) every half second and kills the group when it passes the
guard. Peak memory is the larger of the child's own ``ru_maxrss`` and the sampled tree peak.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_POLL_S = 0.5
_OOM_MARKERS = (
    "MemoryError",
    "bad_alloc",
    "Cannot allocate memory",
    "Out of Memory",
    "OutOfMemory",
    "out of memory",
)


@dataclass(frozen=True)
class Measured:
    status: str  # "ok", "failed: timeout", "failed: oom", "failed: exit N"
    seconds: float
    peak_gb: float
    log: Path  # the child's stdout and stderr


def _memory_bytes(pid: int, rss_pages: int, page: int) -> int:
    """Proportional set size (shared pages split among sharers: forked workers are not counted
    twice), else resident size."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss_pages * page


def _tree_memory_bytes(root: int) -> int:
    """Memory of ``root`` and all its descendants (from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(stat[1])
        rss[pid] = int(stat[21])  # pages
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(_memory_bytes(pid, rss[pid], page) for pid in tree if pid in rss)


def run_measured(
    cmd: list[str],
    *,
    log: Path,
    timeout_s: float,
    memory_gb: float,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Measured:
    """Run ``cmd``; never raises for the child's failure, reports it in ``status``."""
    limit = int(memory_gb * 1024**3)

    def in_child() -> None:
        os.nice(19)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            preexec_fn=in_child,
            start_new_session=True,
        )
        peak_tree, killed = 0, ""
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_tree = max(peak_tree, _tree_memory_bytes(proc.pid))
            elapsed = time.perf_counter() - started
            if not killed and (elapsed > timeout_s or peak_tree > limit):
                killed = "timeout" if elapsed > timeout_s else "oom"
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(_POLL_S)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # wait4 reaped it, not Popen
    peak = max(peak_tree, usage.ru_maxrss * 1024)
    if killed:
        state = f"failed: {killed}"
    elif proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-20000:]
        oom = any(m in tail for m in _OOM_MARKERS) or proc.returncode == -signal.SIGKILL
        state = "failed: oom" if oom else f"failed: exit {proc.returncode}"
    else:
        state = "ok"
    return Measured(
        status=state, seconds=round(seconds, 1), peak_gb=round(peak / 1024**3, 2), log=log
    )

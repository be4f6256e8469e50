"""Process trees on Linux: who belongs to a grade, how much memory they use, and how to stop them.

Read from `/proc` (no dependency): a process's parent, group and session; the
members of a process group or session with every descendant (including those
that started their own session) and the orphans a child subreaper adopted;
resident and proportional set sizes. Stopping is done in one place too: SIGINT
to a process group with a grace period, then SIGKILL; killing and reaping what
this process adopted as child subreaper. And a process's own memory cap
(`cap_address_space`), which the learner process and the judge set on themselves.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

__all__ = ["read_stat", "group_members", "children", "rss_bytes", "pss_bytes", "signal_name",
           "interrupt_groups", "kill_adopted", "cap_address_space", "memory_cap_mb", "ALLOCATION"]

#: What a failed allocation says (Python's MemoryError aside): PyTorch's CPU and CUDA allocators, C++.
ALLOCATION = re.compile(r"can't allocate memory|out of memory|OutOfMemoryError|std::bad_alloc|"
                        r"Cannot allocate memory", re.I)
_cap_mb = 0


def cap_address_space(extra_mb: int) -> bool:
    """Let this process's address space grow by `extra_mb` from now on, then make allocations fail (a
    MemoryError, or PyTorch's "can't allocate memory") instead of the machine swapping. Returns whether the
    cap is set (not without /proc or the resource module)."""
    global _cap_mb
    try:
        import resource

        with open("/proc/self/status", encoding="ascii") as status:
            vm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        limit = vm_kb * 1024 + extra_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except Exception:  # noqa: BLE001 - no /proc, no resource module
        return False
    _cap_mb = int(extra_mb)
    return True


def memory_cap_mb() -> int:
    """The cap `cap_address_space` set in this process (0: none)."""
    return _cap_mb


def read_stat(pid: int) -> tuple[int, int, int, str] | None:
    """(ppid, pgid, sid, state) of `pid` from /proc, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    rest = raw[raw.rfind(b")") + 2:].split()
    try:
        return int(rest[1]), int(rest[2]), int(rest[3]), rest[0].decode()
    except (IndexError, ValueError):
        return None


def group_members(pgid: int, known: set[int] | None = None, adopted_by: int | None = None,
                  exclude: frozenset[int] = frozenset()) -> set[int]:
    """Live (not zombie) pids in process group/session `pgid`, plus descendants of `known`, plus
    (with `adopted_by`) the orphans that process adopted as the child subreaper, except `exclude`."""
    members: set[int] = set()
    parents: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return members
    for name in entries:
        if not name.isdigit():
            continue
        pid = int(name)
        stat = read_stat(pid)
        if stat is None or stat[3] in ("Z", "X") or pid in exclude:
            continue
        ppid, group, sid, _ = stat
        parents[pid] = ppid
        if group == pgid or sid == pgid or (adopted_by is not None and ppid == adopted_by):
            members.add(pid)
    if known:
        members |= {pid for pid in known if pid in parents}
    grown = True
    while grown:  # children of members that started their own session
        new = {pid for pid, ppid in parents.items() if ppid in members and pid not in members}
        members |= new
        grown = bool(new)
    return members


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return rss_bytes(pid)


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def children(parent: int) -> set[int]:
    """The live pids whose parent is `parent`."""
    found = set()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for name in entries:
        if not name.isdigit():
            continue
        stat = read_stat(int(name))
        if stat is not None and stat[0] == parent:
            found.add(int(name))
    return found


def interrupt_groups(procs: list[subprocess.Popen], grace_s: float) -> None:
    """SIGINT to each child's process group (as Ctrl-C would), then SIGKILL to what is left after `grace_s`."""
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGINT)
            except (ProcessLookupError, PermissionError):
                pass
    deadline = time.monotonic() + grace_s
    while any(proc.poll() is None for proc in procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()


def kill_adopted(me: int, keep: set[int]) -> None:
    """Kill and reap the processes this process adopted as child subreaper (never its own running children)."""
    for _ in range(50):
        orphans = {pid for pid in children(me) if pid not in keep}
        if not orphans:
            return
        for pid in orphans:
            for member in group_members(pid, {pid}):
                try:
                    os.kill(member, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass

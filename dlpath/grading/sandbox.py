"""The sandbox around the learner's process, on Linux, without docker or root.

Three layers, each used when the kernel allows it and reported in every grade
(`SandboxReport`: level full, partial or none, and why):

1. **Namespaces** (`enter_namespaces`): a user namespace in which the process
   creates a network namespace (no network but its own loopback, enough for
   distributed training on one machine), a mount namespace and a PID namespace
   with its own /proc. The learner's code then sees only its own processes: not
   the grader, not the judge, not their command lines. A small init process is
   PID 1 inside; when it ends, the kernel kills everything else in the
   namespace, so nothing the learner starts can outlive the grade.
   In the mount namespace, the folders where the user's session daemons keep
   their UNIX sockets (tmux, screen, the D-Bus session bus, ssh and gpg agents,
   docker: /tmp, /var/tmp, /run, /dev/shm) are replaced by private, empty ones,
   with only what the grade needs bound back into them (the project folder, the
   private temporary folder, Python and dlpath); the sockets under the home
   folder (a bounded scan) are covered with /dev/null. A daemon that would run
   commands for the user cannot be reached. Abstract sockets belong to the
   network namespace, so none outside is reachable either. Then every
   capability is dropped, so that the mounts cannot be undone.
2. **Landlock** (`restrict_filesystem`): the process and everything it starts
   may write only the project folder, a private temporary folder, /dev/shm and
   a few harmless devices; it may not signal processes outside its sandbox (ABI
   6) nor trace them. Without a network namespace, Landlock's TCP rules (ABI 4)
   forbid TCP connections instead.
3. **Limits set by the grader itself** (in `dlpath.grading.runner`): the time
   budget, the memory cap, and the kill of every process the learner started
   (the grader is the child subreaper for the grade's duration).

What it does not protect against: code running as the same user *without*
these kernel features (macOS, Windows, old kernels, containers that forbid
user namespaces) can read and write whatever that user can. Reading files is
never restricted (the learner's code needs Python, torch and its own files);
no hidden seed is kept in a file (the held-back rows of a shipped real data set
are readable: docs/grading.md says what that split protects and what it cannot). For hostile code at scale, run each
submission in its own container (docs/grading-a-class.md).
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import socket
import struct
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "landlock_abi",
    "Isolation",
    "PRIVATE_DIRS",
    "private_dirs",
    "enter_namespaces",
    "hide_folders",
    "drop_capabilities",
    "restrict_filesystem",
    "set_child_subreaper",
    "set_dumpable",
    "die_with_parent",
]

_SYS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446), "arm64": (444, 445, 446),
        "riscv64": (444, 445, 446), "ppc64le": (444, 445, 446), "s390x": (444, 445, 446)}

# Landlock access rights (include/uapi/linux/landlock.h)
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_REMOVE_DIR, _FS_REMOVE_FILE, _FS_MAKE_CHAR, _FS_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
_FS_MAKE_REG, _FS_MAKE_SOCK, _FS_MAKE_FIFO, _FS_MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
_FS_MAKE_SYM, _FS_REFER, _FS_TRUNCATE = 1 << 12, 1 << 13, 1 << 14
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1 << 0, 1 << 1
_RULE_PATH_BENEATH = 1

_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_SET_NO_NEW_PRIVS, _PR_SET_CHILD_SUBREAPER = 1, 4, 38, 36
_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWPID, _CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 2, 4, 8, 4096, 16384, 1 << 18
_PR_CAPBSET_DROP, _CAP_LAST = 24, 63

#: Where session daemons of the user keep their sockets; each becomes a private, empty folder for the learner.
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/run", "/var/run", "/dev/shm")
#: Sockets of system daemons that act for members of a group, outside those folders.
_KNOWN_SOCKETS = ("/dev/log", "/var/snap/lxd/common/lxd/unix.socket", "/var/lib/lxd/unix.socket",
                  "/var/lib/incus/unix.socket")
_SCAN_ENTRIES = 6000  # entries of the home folder looked at for sockets, at most
_SCAN_DEPTH = 5

_HARMLESS_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        return libc
    except OSError:
        return None


def _syscalls() -> tuple[int, int, int] | None:
    return _SYS.get(os.uname().machine)


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers (0: none)."""
    libc, calls = _libc(), _syscalls()
    if libc is None or calls is None:
        return 0
    version = libc.syscall(calls[0], None, ctypes.c_size_t(0), ctypes.c_uint32(1))  # LANDLOCK_CREATE_RULESET_VERSION
    return int(version) if version > 0 else 0


def _prctl(option: int, value: int) -> bool:
    libc = _libc()
    if libc is None:
        return False
    return libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) == 0


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no orphaned training)."""
    _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def set_child_subreaper(on: bool) -> bool:
    """Make this process adopt its orphaned descendants (so that a double fork cannot escape it)."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1 if on else 0)


def set_dumpable(on: bool) -> bool:
    """A non-dumpable process cannot be traced, nor its /proc files opened, by other processes of the same user."""
    return _prctl(_PR_SET_DUMPABLE, 1 if on else 0)


# ------------------------------------------------------------------ namespaces


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as fh:
        fh.write(text)


def _loopback_up() -> None:
    """Bring `lo` up in the new network namespace (ioctl SIOCGIFFLAGS / SIOCSIFFLAGS)."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    import fcntl

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14s", b"lo", 0, b"\0" * 14)
        flags = struct.unpack("16sH14s", fcntl.ioctl(s.fileno(), siocgifflags, request))[1]
        fcntl.ioctl(s.fileno(), siocsifflags, struct.pack("16sH14s", b"lo", flags | iff_up, b"\0" * 14))


def private_dirs() -> list[str]:
    """The folders to replace by empty ones for the learner: `PRIVATE_DIRS`, and this process's temporary
    folder and runtime folder ($XDG_RUNTIME_DIR) where they are elsewhere. Called in the parent, whose
    environment the learner's process does not get."""
    import tempfile

    extra = [os.environ.get("XDG_RUNTIME_DIR", ""), tempfile.gettempdir()]
    return list(PRIVATE_DIRS) + [p for p in extra if p and os.path.isabs(p)]


@dataclass(frozen=True)
class Isolation:
    """What `enter_namespaces` achieved, in the learner process."""

    network: bool = False  #: a network namespace: only a private loopback
    processes: bool = False  #: a PID namespace with its own /proc
    sockets: bool = False  #: the session daemons' sockets are out of reach (private /tmp, /run, /dev/shm, ...)
    why: str = ""  #: what is missing, and why
    covered: int = 0  #: sockets under the home folder covered with /dev/null


def enter_namespaces(keep_fds: tuple[int, ...], *, keep: tuple[str, ...] = (), home: str | None = None,
                     private: tuple[str, ...] = PRIVATE_DIRS, shm_mb: int = 0, keep_capabilities: bool = False
                     ) -> Isolation:
    """Move the rest of this process's life into new user, network, mount and PID namespaces.

    Must be called while the process has a single thread (before importing torch).
    The calling process becomes a waiter outside, a new init becomes PID 1 inside, and
    the function returns in a third process, PID 2, that goes on as the learner. The
    waiter ends with the learner's own exit status or signal.

    In the mount namespace each folder of `private` becomes an empty one (a private
    /dev/shm of `shm_mb` MB when given), into which the paths of `keep` under them are
    bound back; the sockets found under `home` are covered with /dev/null. The working
    folder is entered again through the new mounts, and every capability is dropped (in the
    learner process only, later, with `keep_capabilities`: it calls `drop_capabilities` itself).

    Returns what was isolated, in the learner process; on failure, returns in the
    original process with nothing isolated and the reason.
    """
    libc = _libc()
    if libc is None:
        return Isolation(why="namespaces are a Linux feature")
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET | _CLONE_NEWNS | _CLONE_NEWPID) != 0:
        code = ctypes.get_errno()
        return Isolation(why=f"user namespaces are not allowed here ({errno.errorcode.get(code, code)})")
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError as exc:
        return Isolation(why=f"the user namespace could not map this user ({exc.strerror})")
    status_r, status_w = os.pipe()
    init = os.fork()
    if init:  # the waiter, outside: wait for init, then end the way the learner ended
        os.close(status_w)
        for fd in keep_fds:
            _close(fd)
        _wait_and_mirror(init, status_r)
    # init: PID 1 inside
    os.close(status_r)
    die_with_parent()
    why = []
    try:
        _loopback_up()
    except OSError as exc:
        why.append(f"the loopback could not be brought up ({exc.strerror})")
    processes = True
    try:
        if libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
            raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
        if libc.mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None) != 0:
            raise OSError(ctypes.get_errno(), "mount proc")
    except OSError as exc:
        processes = False
        why.append(f"a private /proc could not be mounted ({os.strerror(exc.errno or 0)})")
    sockets, covered, said = _hide_sockets(libc, keep, home, private, shm_mb)
    why.append(said)
    if not keep_capabilities:  # else the learner's process drops them itself (`drop_capabilities`)
        _drop_capabilities(libc)
    learner = os.fork()
    if learner == 0:
        os.close(status_w)
        die_with_parent()
        return Isolation(network=True, processes=processes, sockets=sockets, why="; ".join(w for w in why if w),
                         covered=covered)
    for fd in keep_fds:
        _close(fd)
    _init_loop(learner, status_w)
    raise AssertionError("unreachable")  # pragma: no cover


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _hide_sockets(libc: ctypes.CDLL, keep: tuple[str, ...], home: str | None, private: tuple[str, ...],
                  shm_mb: int) -> tuple[bool, int, str]:
    """Replace each folder of `private` by an empty one with the paths of `keep` bound back; cover the sockets
    under `home` and the known system sockets. Returns (every private folder replaced, sockets covered, why not)."""
    cwd = os.getcwd()
    roots: list[str] = []
    for folder in sorted({os.path.realpath(p) for p in private}, key=len):
        if os.path.isdir(folder) and not any(_under(folder, r) for r in roots):
            roots.append(folder)
    kept: list[tuple[str, int, bool]] = []  # (path, O_PATH descriptor opened before the mounts, is a folder)
    exposed = []
    for path in sorted({os.path.realpath(p) for p in keep if p}, key=len):
        if not os.path.exists(path) or not any(_under(path, r) for r in roots):
            continue
        if path in roots:
            exposed.append(path)
            continue
        if any(_under(path, k) for k, _, _ in kept):
            continue  # bound back with a folder above it
        kept.append((path, os.open(path, os.O_PATH | os.O_CLOEXEC), os.path.isdir(path)))
    failed = ""
    try:
        for root in roots:
            if root in exposed:
                continue
            size = f"size={shm_mb}m" if root == "/dev/shm" and shm_mb else "size=4m"
            if libc.mount(b"tmpfs", root.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV,
                          f"mode=1777,{size}".encode()) != 0:
                raise OSError(ctypes.get_errno(), f"a private {root}")
        for path, fd, is_dir in kept:
            if is_dir:
                os.makedirs(path, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "ab").close()
            if libc.mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None, _MS_BIND | _MS_REC, None) != 0:
                raise OSError(ctypes.get_errno(), f"binding {path} back")
    except OSError as exc:
        failed = f"{exc.strerror or exc} ({os.strerror(exc.errno or 0)})"
    finally:
        for _, fd, _ in kept:
            _close(fd)  # they reach the folders as they were: the learner must not find them open
    try:
        os.chdir(cwd)  # the working folder through the new mounts (a descriptor to the old one reaches ".." there)
    except OSError:
        pass
    if failed:
        return False, 0, f"the session daemons' sockets are reachable: {failed} could not be mounted"
    covered = _cover(libc, [*(p for p in _KNOWN_SOCKETS if _is_socket(p)), *_sockets_under(home)])
    if exposed:
        return False, covered, f"{', '.join(exposed)} stays visible (it is what is graded), with its sockets"
    return True, covered, ""


def _is_socket(path: str) -> bool:
    import stat

    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def _sockets_under(home: str | None) -> list[str]:
    """The UNIX sockets under `home`: shallow and hidden folders first (where agents and daemons keep them), a
    bounded number of entries, links not followed."""
    import heapq

    if not home or not os.path.isdir(home):
        return []
    found: list[str] = []
    queue: list[tuple[int, bool, str]] = [(0, False, home)]
    seen = 0
    while queue and seen < _SCAN_ENTRIES:
        depth, _, folder = heapq.heappop(queue)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth + 1 < _SCAN_DEPTH:
                        heapq.heappush(queue, (depth + 1, not entry.name.startswith("."), entry.path))
                elif not entry.is_file(follow_symlinks=False) and not entry.is_symlink() and _is_socket(entry.path):
                    found.append(entry.path)
            except OSError:
                continue
    return found


def _cover(libc: ctypes.CDLL, sockets: list[str]) -> int:
    """Bind /dev/null over each socket: connecting to it is then refused. Returns how many were covered."""
    covered = 0
    for path in sockets:
        if libc.mount(b"/dev/null", path.encode(), None, _MS_BIND, None) == 0:
            covered += 1
    return covered


def _drop_capabilities(libc: ctypes.CDLL) -> None:
    """Give up every capability in the user namespace (and the right to regain one by exec), so that the
    learner's code cannot unmount what hides the sockets, nor mount anything."""

    class _Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class _Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    for cap in range(_CAP_LAST + 1):
        libc.prctl(_PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0)
    libc.capset(ctypes.byref(_Header(0x20080522, 0)), (_Data * 2)())  # _LINUX_CAPABILITY_VERSION_3
def drop_capabilities() -> None:
    """Give up every capability now: for a process that `enter_namespaces(..., keep_capabilities=True)` left
    able to mount (to hide folders after its imports), before it runs anything the learner wrote."""
    libc = _libc()
    if libc is not None:
        _drop_capabilities(libc)


def _confinement(status: str) -> tuple[int, int] | None:
    """(no_new_privs, effective capabilities) from a /proc/<pid>/task/<tid>/status text."""
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    try:
        return int(fields["NoNewPrivs"].strip()), int(fields["CapEff"].strip(), 16)
    except (KeyError, ValueError):
        return None


def unconfined_threads() -> list[str]:
    """The threads of this process that hold more than the calling thread: no no_new_privs where it has it, or
    a capability it gave up. Capabilities, no_new_privs and Landlock apply to the thread that sets them (and the
    threads it starts afterwards), so a thread started before the sandbox keeps every right. Returns their ids
    (empty where /proc cannot tell)."""
    try:
        mine = _confinement(Path(f"/proc/self/task/{threading.get_native_id()}/status").read_text())
        tasks = sorted(os.listdir("/proc/self/task"))
    except OSError:
        return []
    if mine is None:
        return []
    loose = []
    for tid in tasks:
        try:
            theirs = _confinement(Path(f"/proc/self/task/{tid}/status").read_text())
        except OSError:
            continue  # the thread ended meanwhile
        if theirs is not None and (theirs[0] < mine[0] or theirs[1] & ~mine[1]):
            loose.append(tid)
    return loose


def hide_folders(folders: list[Path]) -> list[str]:
    """Mount an empty, read-only tmpfs over each folder, in this process's own mount namespace: the process
    and everything it starts find the folder empty, and nothing outside the namespace changes.

    Call it only in the mount namespace `enter_namespaces` made (never in the machine's own: as root, the
    mount would hide the folder from everyone), and before Landlock, which forbids changing mounts; Landlock
    also keeps the learner's code from unmounting it. Returns the folders hidden.
    """
    libc = _libc()
    if libc is None:
        return []
    hidden = []
    for folder in folders:
        if not folder.is_dir():
            continue
        flags = _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
        if libc.mount(b"none", os.fsencode(str(folder)), b"tmpfs", flags, b"size=4k,mode=555") == 0:
            hidden.append(str(folder))
    return hidden


def hide_files(files: list[Path]) -> list[str]:
    """Bind /dev/null over each regular file, in this process's own mount namespace (as `hide_folders`, under the
    same conditions): reading it then gives nothing. Returns the files hidden."""
    libc = _libc()
    if libc is None:
        return []
    return [str(f) for f in files
            if f.is_file() and not f.is_symlink() and libc.mount(b"/dev/null", os.fsencode(str(f)), None, _MS_BIND, None) == 0]


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _init_loop(learner: int, status_w: int) -> None:
    """PID 1: reap every orphan; when the learner ends, report its status and end (the kernel then
    kills whatever else still runs in the namespace)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
        if pid == learner:
            try:
                os.write(status_w, struct.pack(">i", status))
            except OSError:
                pass
            os._exit(0)


def _wait_and_mirror(init: int, status_r: int) -> None:
    """The waiter outside: end with the learner's exit status, or by the learner's signal."""
    try:
        os.waitpid(init, 0)
    except ChildProcessError:
        pass
    data = b""
    try:
        data = os.read(status_r, 4)
    except OSError:
        pass
    status = struct.unpack(">i", data)[0] if len(data) == 4 else 137 << 8
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


# ------------------------------------------------------------------ Landlock


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def restrict_filesystem(writable: list[Path], *, deny_tcp: bool, extra_files: tuple[str, ...] = ()) -> tuple[bool, bool, str]:
    """Let this process (and its children) write only under `writable`; with `deny_tcp`, no TCP either.

    Returns (filesystem restricted, TCP denied, why-not). Irreversible.
    """
    libc, calls = _libc(), _syscalls()
    abi = landlock_abi()
    if libc is None or calls is None or abi < 1:
        return False, False, "this kernel has no Landlock" if libc is not None else "Landlock is a Linux feature"
    create, add_rule, restrict = calls
    write_rights = (_FS_WRITE_FILE | _FS_REMOVE_DIR | _FS_REMOVE_FILE | _FS_MAKE_CHAR | _FS_MAKE_DIR | _FS_MAKE_REG
                    | _FS_MAKE_SOCK | _FS_MAKE_FIFO | _FS_MAKE_BLOCK | _FS_MAKE_SYM)
    if abi >= 2:
        write_rights |= _FS_REFER
    if abi >= 3:
        write_rights |= _FS_TRUNCATE
    file_rights = write_rights & (_FS_WRITE_FILE | _FS_TRUNCATE)
    net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if (deny_tcp and abi >= 4) else 0
    scoped = (_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0
    attr = _RulesetAttr(write_rights, net, scoped)
    size = 24 if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = libc.syscall(create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return False, False, f"Landlock refused the rules ({os.strerror(ctypes.get_errno())})"
    try:
        paths = [(p, write_rights) for p in writable] + [
            (Path(f), file_rights) for f in (*_HARMLESS_DEVICES, *extra_files)]
        for path, rights in paths:
            try:
                fd = os.open(str(path), os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                rule = _PathBeneath(rights, fd)
                if libc.syscall(add_rule, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                                ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                    return False, False, f"Landlock refused a rule for {path} ({os.strerror(ctypes.get_errno())})"
            finally:
                os.close(fd)
        if not _prctl(_PR_SET_NO_NEW_PRIVS, 1):
            return False, False, "no_new_privs could not be set"
        if libc.syscall(restrict, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return False, False, f"Landlock could not be enforced ({os.strerror(ctypes.get_errno())})"
    finally:
        os.close(ruleset)
    return True, bool(net), "" if abi >= 6 else f"Landlock ABI {abi} cannot stop signals to other processes"

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
nothing secret is kept in a file. For hostile code at scale, run each
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
from pathlib import Path

__all__ = [
    "landlock_abi",
    "enter_namespaces",
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
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 2, 4, 8, 16384, 1 << 18

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


def enter_namespaces(keep_fds: tuple[int, ...]) -> tuple[bool, bool, str]:
    """Move the rest of this process's life into new user, network, mount and PID namespaces.

    Must be called while the process has a single thread (before importing torch).
    The calling process becomes a waiter outside, a new init becomes PID 1 inside, and
    the function returns in a third process, PID 2, that goes on as the learner. The
    waiter ends with the learner's own exit status or signal.

    Returns (network isolated, processes isolated, why-not) in the learner process;
    on failure, returns in the original process with (False, False, the reason).
    """
    libc = _libc()
    if libc is None:
        return False, False, "namespaces are a Linux feature"
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET | _CLONE_NEWNS | _CLONE_NEWPID) != 0:
        code = ctypes.get_errno()
        return False, False, f"user namespaces are not allowed here ({errno.errorcode.get(code, code)})"
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError as exc:
        return False, False, f"the user namespace could not map this user ({exc.strerror})"
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
    why = ""
    network = True
    try:
        _loopback_up()
    except OSError as exc:
        network, why = True, f"the loopback could not be brought up ({exc.strerror})"
    processes = True
    try:
        if libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
            raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
        if libc.mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None) != 0:
            raise OSError(ctypes.get_errno(), "mount proc")
    except OSError as exc:
        processes = False
        why = f"a private /proc could not be mounted ({os.strerror(exc.errno or 0)})"
    learner = os.fork()
    if learner == 0:
        os.close(status_w)
        die_with_parent()
        return network, processes, why
    for fd in keep_fds:
        _close(fd)
    _init_loop(learner, status_w)
    raise AssertionError("unreachable")  # pragma: no cover


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

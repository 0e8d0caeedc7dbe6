"""Writing a file the user named (``-o FILE``): what the path is decides how.

- ``-``: the screen (standard output).
- a regular file, or a new name in an existing folder: written whole, owner-only: a
  temporary file beside it, fsynced, then renamed over it, so that a crash leaves the old
  file or the new one, never half of one.
- a symlink: followed; its target is written as above (the link stays a link).
- a character or block device, a FIFO or a socket (``/dev/stdout``, ``>(wc -c)``, a
  terminal): written straight into. Replacing it with a regular file would break it (run
  as root, that once replaced ``/dev/null`` for the whole machine).
- a folder, a missing folder, a dangling link: ``OutputError`` with one line to show.

Temporary files are named ``.<name>.<pid>.<random>.tmp``. One left by a killed process is
deleted by the next write to the same name, once its process is gone.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from facilitator.disk import fsync_dir
from facilitator.i18n import _

FILE_MODE = 0o600
STDOUT = "-"


class OutputError(Exception):
    """The path cannot be written; the message is one line for the user."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temps(target: Path) -> None:
    """Delete the temporary files of ``target`` left by processes that are gone."""
    prefix = f".{target.name}."
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        middle = name[len(prefix) : -len(".tmp")].split(".")
        if middle and middle[0].isdigit():
            if _alive(int(middle[0])):
                continue
        else:  # an older name without its writer's pid: only once it is surely abandoned
            try:
                age = os.path.getmtime(target.parent / name)
            except OSError:
                continue
            if age > _now() - 600:
                continue
        try:
            os.unlink(target.parent / name)
        except OSError:
            pass


def _now() -> float:
    import time

    return time.time()


Writer = Callable[[IO[bytes]], object]


def replace_whole(path: Path, data: bytes) -> None:
    """Replace the regular file (or new name) ``path`` with ``data``, whole. Raises
    ``OSError``."""
    replace_whole_with(path, lambda handle: handle.write(data))


def replace_whole_with(path: Path, write: Writer) -> None:
    """Replace ``path`` with what ``write`` writes to the open file it is given, whole: a
    crash, or an exception from ``write``, leaves the old file or the new one."""
    clean_stale_temps(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def write_output(path: Path, data: bytes | Writer) -> Path:
    """Write ``data`` (bytes, or a function that writes to the open file it is given) to the
    path a user named, as the module says. Returns where it went (a symlink's target).
    Raises ``OutputError``."""
    write: Writer = (lambda handle: handle.write(data)) if isinstance(data, bytes) else data
    if str(path) == STDOUT:
        sys.stdout.flush()
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return path
    try:
        mode = os.stat(path).st_mode  # follows a symlink
    except FileNotFoundError:
        if path.is_symlink():
            raise OutputError(
                _("{path} is a link to {target}, which does not exist", path=path,
                  target=os.readlink(path))
            ) from None  # fmt: skip
        mode = None
    except OSError as error:
        raise OutputError(
            _("cannot write {path}: {reason}", path=path, reason=_reason(error))
        ) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(_("{path} is a folder: name a file to write", path=path))
    if mode is not None and not stat.S_ISREG(mode):  # a device, a FIFO, a socket
        try:
            with open(path, "wb") as handle:  # noqa: PTH123 - no truncation matters here
                write(handle)
        except OSError as error:
            raise OutputError(
                _("cannot write {path}: {reason}", path=path, reason=_reason(error))
            ) from None
        return path
    target = path.resolve() if path.is_symlink() else path
    parent = target.parent
    if not parent.is_dir():
        if parent.exists():
            raise OutputError(_("{folder} is not a folder", folder=parent))
        raise OutputError(_("the folder {folder} does not exist", folder=parent))
    try:
        replace_whole_with(target, write)
    except OSError as error:
        raise OutputError(
            _("cannot write {path}: {reason}", path=path, reason=_reason(error))
        ) from None
    return target

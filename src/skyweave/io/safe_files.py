"""Files inside run and batch folders, read and written without following links.

A run or batch folder may have been prepared by someone else (a shared disk, an
archive unpacked from elsewhere, a hostile user on a machine where Skyweave runs
as root). A symbolic link named ``report.html`` or ``journal.jsonl`` must not make
Skyweave overwrite the file it points to, and a ``scenario.json`` link must not
make a replay read a file outside the folder. Every reader and writer of these
folders therefore goes through this module:

* :func:`safe_path` refuses a name that is a link (or not a plain name);
* readers open with ``O_NOFOLLOW`` and accept regular files only (a FIFO would
  hang the read);
* writers write a new file beside the target and rename it over the target, so
  a link or a hard link at the target is replaced, never written through;
* appends (the batch journal) open with ``O_NOFOLLOW`` and refuse a file with
  other hard links.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from skyweave.errors import InputError, Problem

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
LINK_MESSAGE = (
    "is a symbolic link; Skyweave does not read or write through links inside a run "
    "or batch folder (replace it with the file itself)"
)


def safe_path(folder: str | Path, name: str) -> Path:
    """``folder / name``, refused if ``name`` is not a plain file name or is a link.

    Parameters
    ----------
    folder
        A run or batch folder (it may itself be reached through a link).
    name
        One file name inside it (no separators, not ``.`` or ``..``).

    Raises
    ------
    InputError
        Naming the path, when it is a symbolic link or ``name`` is not a plain name.
    """
    if not name or name in (".", "..") or "/" in name or os.sep in name:
        raise InputError([Problem(str(folder), f"{name!r} is not a plain file name")])
    path = Path(folder) / name
    if path.is_symlink():
        raise InputError([Problem(str(path), LINK_MESSAGE)])
    return path


def _os_problem(path: Path, exc: OSError, doing: str) -> InputError:
    if exc.errno == errno.ELOOP:
        return InputError([Problem(str(path), LINK_MESSAGE)])
    reason = exc.strerror or str(exc)
    return InputError([Problem(str(path), f"cannot {doing} the file: {reason}")])


@contextlib.contextmanager
def open_read(path: str | Path) -> Iterator[IO[bytes]]:
    """Open a regular file for binary reading without following a final link.

    Raises
    ------
    InputError
        The file is missing, a link, not a regular file, or unreadable.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    except FileNotFoundError:
        raise InputError([Problem(str(path), "file not found")]) from None
    except OSError as exc:
        raise _os_problem(path, exc, "read") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError([Problem(str(path), "is not a regular file")])
        if _NONBLOCK:  # only there so that opening a FIFO does not block
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a regular file, read without following a final link."""
    with open_read(path) as handle:
        return handle.read()


def read_text(path: str | Path) -> str:
    """UTF-8 text of a regular file, read without following a final link."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), f"not UTF-8 text ({exc.reason})")]) from None


def read_parquet(path: str | Path, columns: list[str] | None = None) -> Any:
    """A Parquet table read without following a final link; unreadable is an input error."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open_read(path) as handle:
        try:
            return pq.read_table(handle, columns=columns)
        except (pa.ArrowException, OSError, ValueError) as exc:
            problem = Problem(str(path), f"not a readable Parquet file ({exc})")
            raise InputError([problem]) from None


def write_bytes(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: written beside it, then renamed over it.

    A link (symbolic or hard) at ``path`` is replaced, never written through. The
    new file's mode follows the umask, as an ordinary ``open`` would.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    try:
        fd = os.open(tmp, flags, 0o666)
    except OSError as exc:
        raise _os_problem(path, exc, "write") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Replace ``path`` with UTF-8 ``text`` (see :func:`write_bytes`)."""
    write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def open_append(path: str | Path) -> Iterator[IO[bytes]]:
    """Open ``path`` for appending (created if missing) without following a link.

    Refuses a file that is not regular or that has other hard links: appending
    to it would change a file outside the folder.
    """
    path = Path(path)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        raise _os_problem(path, exc, "append to") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError([Problem(str(path), "is not a regular file")])
        if info.st_nlink > 1:
            raise InputError([Problem(str(path), "has other hard links; refusing to append")])
        if _NONBLOCK:
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "ab")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def truncate_to(path: str | Path, size: int) -> None:
    """Cut a regular file to ``size`` bytes, without following a link."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    except OSError as exc:
        raise _os_problem(path, exc, "write") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
            raise InputError([Problem(str(path), "is not a regular file of its own")])
        os.ftruncate(fd, size)
    finally:
        os.close(fd)


def refuse_links(folder: str | Path) -> None:
    """Raise if any entry of ``folder`` is a symbolic link (checked before reading it)."""
    folder = Path(folder)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return  # the reader reports a missing or unreadable folder in its own words
    links = [e for e in entries if e.is_symlink()]
    if links:
        raise InputError([Problem(str(folder / e.name), LINK_MESSAGE) for e in links])

"""The one door for files a user names (scenarios, persona files, edge lists): one line per mistake.

A path that is a directory, a device, a named pipe, a symlink loop or unreadable gets its own plain
message, never "file not found" for something that exists and never a traceback; a file above the
size limit is refused before it is read (a device such as /dev/zero would never end), and text
that is not UTF-8 names the line of the first bad byte.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from simsocial.errors import SimsocialError

# Large enough for an edge list of 10^7 nodes (about 25 bytes a line); beyond it a file of user
# input is a mistake (or a device), and reading it would take minutes and gigabytes.
MAX_FILE_BYTES = 1 << 30


class UserFileError(SimsocialError):
    """A file named by the user that cannot be used; `str()` is `file[:line]: what`."""

    def __init__(self, shown: str, line: int | None, message: str):
        self.shown, self.line, self.detail = shown, line, message
        super().__init__(f"{shown}:{line}: {message}" if line else f"{shown}: {message}")


def display(path: str | Path) -> str:
    """The path relative to the working directory when it lies below it, else as given."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def absolute(base: Path, value: str) -> Path:
    """`value` (`~` expanded) made absolute against `base`; symlinks are resolved when they can be,
    so a symlink loop stays a path that `problem` reports instead of a RuntimeError."""
    joined = base / os.path.expanduser(value)
    try:
        return joined.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(joined))


def problem(path: str | Path, what: str) -> str | None:
    """Why `path` cannot be read as `what` (e.g. "an edge list"), or None when it is a readable
    regular file within the size limit."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return f"is a broken symlink (to {os.readlink(path)})"
        return "file not found"
    except OSError as exc:
        return _os_reason(exc)
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        return f"is a directory, not {what}"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return f"is a device, not {what}"
    if stat.S_ISFIFO(mode):
        return f"is a named pipe, not {what}"
    if stat.S_ISSOCK(mode):
        return f"is a socket, not {what}"
    if not stat.S_ISREG(mode):
        return f"is not a regular file, so not {what}"
    if info.st_size > MAX_FILE_BYTES:
        return f"is {_size(info.st_size)}; {what} may be at most {_size(MAX_FILE_BYTES)}"
    if not os.access(path, os.R_OK):
        return "cannot be read: permission denied"
    return None


def read_text(path: str | Path, what: str) -> str:
    """The UTF-8 text of a user file (a BOM is dropped); UserFileError says why it cannot be."""
    shown = display(path)
    reason = problem(path, what)
    if reason is not None:
        raise UserFileError(shown, None, reason)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UserFileError(shown, None, _os_reason(exc)) from None
    if len(raw) > MAX_FILE_BYTES:
        message = f"is larger than {_size(MAX_FILE_BYTES)}, the limit for {what}"
        raise UserFileError(shown, None, message)
    nul = raw.find(b"\0")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); is this {what}?"
        raise UserFileError(shown, line, message) from None
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise UserFileError(shown, line, f"contains a NUL byte: binary data, not {what}")
    return text


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symlink loop (a link that points back to itself)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied"
    if exc.errno == errno.ENOTDIR:
        return "file not found (a folder on its path is a file)"
    if exc.errno == errno.ENAMETOOLONG:
        return "the path is too long"
    return f"cannot be read: {exc.strerror or exc}"


def _size(count: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"

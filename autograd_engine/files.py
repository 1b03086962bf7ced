"""Writing files atomically: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import os
from typing import Any

from .validation import describe


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def as_path(path: Any, name: str = "path") -> str:
    """``path`` (a str or ``os.PathLike``) as a non-empty str.

    Raises:
        TypeError: ``path`` is not a str or ``os.PathLike`` of str.
        ValueError: ``path`` is empty or holds a NUL character.
    """
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str or os.PathLike, got {describe(path)}")
    if not text:
        raise ValueError(f"{name} must be a non-empty file name, got {describe(path)}")
    if "\0" in text:
        raise ValueError(f"{name} must not contain a NUL character, got {describe(path)}")
    return text


def writable_target(path: str, what: str = "write to") -> str:
    """The file that writing ``path`` replaces (the end of any chain of symbolic links), checked.

    A leading ``~`` is a folder name, as for :func:`open`: it is not expanded to the home folder.

    Raises:
        IsADirectoryError: the target is a folder.
        FileNotFoundError: the target's folder does not exist (for a path starting with ``~``, the
            message says ``~`` is not expanded and to pass ``os.path.expanduser(path)``).
        PermissionError: the target exists and is read-only (even for root, whom the OS would let write).
    """
    target = os.path.realpath(path)
    shown = repr(path) if target == os.path.abspath(path) else f"{path!r} (a link to {target!r})"
    if os.path.isdir(target):
        raise IsADirectoryError(f"cannot {what} {shown}: it is a folder; give a file name")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        hint = f"; `~` is not expanded here, as in open(): pass os.path.expanduser({path!r})" \
            if path.startswith("~") else ""
        raise FileNotFoundError(f"cannot {what} {shown}: the folder {folder!r} does not exist{hint}")
    if os.path.exists(target) and (not os.access(target, os.W_OK) or not os.stat(target).st_mode & 0o222):
        raise PermissionError(f"cannot {what} {shown}: the file is read-only; make it writable or choose another path")
    return target


def atomic_write(path: str | os.PathLike[str], data: bytes, what: str = "write to") -> str:
    """Write ``data`` to ``path`` so that a crash never leaves half a file.

    The bytes go to a temporary file beside the target, are flushed to disk, and the
    file is renamed over the target (atomic on POSIX and Windows). The target is
    ``path``, or, when ``path`` is a symbolic link, the file it points to (the link
    stays). A read-only target is refused and left as it is. The new file keeps the
    mode the old one had, or else gets the usual mode for new files.

    Args:
        path: the file to write.
        data: its new content.
        what: how error messages describe the action ("save a model to" ...).

    Returns:
        ``path`` as a string.

    Raises:
        TypeError, ValueError: ``path`` is not a non-empty str or ``os.PathLike``, or holds a NUL character.
        IsADirectoryError, FileNotFoundError, PermissionError: see :func:`writable_target`;
            PermissionError (or another OSError) also when the folder cannot hold a new file.
    """
    import tempfile

    path = as_path(path)
    target = writable_target(path, what)
    folder = os.path.dirname(target)
    try:
        mode = os.stat(target).st_mode & 0o777
    except FileNotFoundError:
        mode = _default_mode()
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.splitext(target)[1])
    except OSError as exc:  # a folder that cannot hold new files (read-only, /proc ...)
        raise type(exc)(f"cannot {what} {path!r}: the folder {folder!r} does not take new files "
                        f"({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path

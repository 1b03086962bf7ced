"""Writing files atomically: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import os


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike[str], data: bytes) -> str:
    """Write ``data`` to ``path`` so that a crash never leaves half a file.

    The bytes go to a temporary file beside ``path``, are flushed to disk, and the
    file is renamed over ``path`` (atomic on POSIX and Windows). The new file keeps
    the mode an existing ``path`` had, or else gets the usual mode for new files.

    Returns:
        ``path`` as a string.
    """
    import tempfile

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = _default_mode()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path

"""Files only the service account may read: the SQLite database (and so its WAL and shared
memory files, which SQLite creates with the database file's permissions), backups, link
files and the secrets file. Created with mode 0600 (folders 0700) whatever the umask."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> None:
    """Create ``path`` (and missing parents) readable by the owner only; an existing
    folder is left as it is (it may be shared on purpose, e.g. /tmp)."""
    if not path.exists():
        path.mkdir(parents=True, mode=FOLDER_MODE, exist_ok=True)
        with contextlib.suppress(OSError):  # mkdir's mode is filtered by the umask
            path.chmod(FOLDER_MODE)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist yet (before SQLite opens
    it, so the database and the files SQLite makes beside it are owner-only)."""
    private_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)
    path.chmod(FILE_MODE)  # the mode given to os.open is filtered by the umask


def write_private_file(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` with mode 0600 (an older file's wider mode is narrowed)."""
    private_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    path.chmod(FILE_MODE)
    return path

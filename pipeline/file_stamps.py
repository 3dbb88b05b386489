"""What a file was when it was read, to tell later whether it is still that file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileStamp:
    """A file as it was when read: a file rewritten in place changes its size or modification
    time, and one replaced by another (a copy, a rename) its inode."""

    path: str
    size: int
    mtime_ns: int
    inode: int


def file_stamp(path: Path) -> FileStamp | None:
    """The stamp of `path` now; None when it is gone."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return FileStamp(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)

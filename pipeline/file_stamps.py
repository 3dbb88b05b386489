"""What a file was when it was read, to tell later whether it is still that file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileStamp:
    """A file as it was when read: a file rewritten in place changes its size or modification
    time, and its change time even when the modification time is put back (`cp -p`, `touch
    -r`, `unzip -o`) and the size is the same; one replaced by another (a copy, a rename)
    changes its inode.

    The change time also moves when only the file's metadata does (its mode, owner or links):
    a run holding its files to their stamps then stops ("changed during the run") and the next
    run reads them again. Telling that apart from new content would take reading the file
    again; taking new content for old would publish marts of one file under the fingerprint of
    another.
    """

    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    def written_before(self, moment_ns: int) -> bool:
        """Whether the file was last written (content or metadata) before `moment_ns`."""
        return max(self.mtime_ns, self.ctime_ns) < moment_ns


# File times are coarse (a jiffy, or seconds on some file systems): a file written this
# recently could change again without its stamp changing, so what was read from it is not
# kept for later (`pipeline.fingerprint`, `pipeline.prefetch`).
SETTLED_NS = 2_000_000_000


def file_stamp(path: Path) -> FileStamp | None:
    """The stamp of `path` now; None when it is gone."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return FileStamp(
        str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino
    )

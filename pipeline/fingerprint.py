"""Content fingerprints: of a batch folder's files and of the code that turns them into marts.

A batch has changed when its bytes have, whatever the files' modification times say; the marts
are stale when either fingerprint differs from the one recorded when they were published.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from pipeline.manifest import MANIFEST_FILE
from pipeline.readers import SUFFIXES
from pipeline.schemas.fields import RAW_TABLES

PACKAGE = Path(__file__).resolve().parent
# Names that copying tools and office software give files still being written.
IN_PROGRESS = (".part", ".partial", ".tmp", ".crdownload", ".download", ".filepart")


def _digest_file(digest, path: Path) -> None:
    digest.update(path.name.encode() + b"\0")
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    digest.update(b"\0")


def batch_fingerprint(folder: Path) -> str | None:
    """Hash of a batch folder's files, or None while it is incomplete (a file still missing or
    still being copied under a temporary name)."""
    try:
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError:
        return None
    names = {p.name for p in files}
    if any(p.name.endswith(IN_PROGRESS) or p.name.startswith("~$") for p in files):
        return None
    if MANIFEST_FILE not in names:
        return None
    for table in RAW_TABLES:
        if not table.optional and not any(f"{table.name}{suffix}" in names for suffix in SUFFIXES):
            return None
    digest = hashlib.blake2b(digest_size=16)
    for path in files:
        _digest_file(digest, path)
    return digest.hexdigest()


@cache
def code_fingerprint() -> str:
    """Hash of the SQL models and the package's code and reference data."""
    digest = hashlib.blake2b(digest_size=16)
    sources = [*sorted((PACKAGE.parent / "sql").rglob("*.sql"))]
    sources += sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".toml", ".csv"))
    for path in sources:
        if "generate" not in path.relative_to(PACKAGE.parent).parts:
            _digest_file(digest, path)
    return digest.hexdigest()

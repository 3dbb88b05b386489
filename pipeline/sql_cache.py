"""Results derived from the project's own code (compiled SQL, column lineage), kept on disk.

Compiling the validation rules with ibis or reading lineage with sqlglot gives the same answer
every time for the same code, yet costs seconds per process. Each result is stored as a JSON
file named by a key: a hash of everything the result depends on (`fingerprint`), so changed
code looks for another file and never finds a stale one. The key is also written inside the
file and checked on reading; a file that is unreadable, truncated or of another key counts as
missing and is computed and written again. Writes go through a temporary file and a rename, so
concurrent processes (Dagster's multiprocess executor) read a whole file or none.

The folder is the user's cache folder (`platformdirs`), or `POVEXIT_CACHE_DIR` when set.
Nothing in it is needed: deleting it costs one compilation.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

CACHE_DIR_VARIABLE = "POVEXIT_CACHE_DIR"
# Bumped when the file layout changes.
FORMAT = 1
# An entry unused this long is deleted when another of its kind is written.
UNUSED_FOR = 30 * 24 * 3600

T = TypeVar("T")


def cache_dir() -> Path:
    override = os.environ.get(CACHE_DIR_VARIABLE)
    if override:
        return Path(override)
    import platformdirs  # only here: most processes find the folder through the variable

    return Path(platformdirs.user_cache_dir("povexit", appauthor=False))


def fingerprint(*parts: str | bytes) -> str:
    """A hex key for the parts, in order; no two different lists of parts share one."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def entry_path(kind: str, key: str) -> Path:
    return cache_dir() / f"{kind}-{key[:40]}.json"


def cached(
    kind: str, key: str, compute: Callable[[], Any], decode: Callable[[Any], T] = lambda v: v
) -> T:
    """`decode(value)` of the stored value for `key`, or of `compute()` (then stored).

    `compute` returns a JSON-serialisable value; `decode` turns it (or the stored copy) into
    what the caller uses, raising KeyError, TypeError or ValueError on a value of the wrong
    shape, which is then computed again.
    """
    path = entry_path(kind, key)
    stored = _read(path, key)
    if stored is not None:
        try:
            return decode(stored["value"])
        except (KeyError, TypeError, ValueError):
            pass
    value = compute()
    _write(path, key, value)
    return decode(value)


def _read(path: Path, key: str) -> dict | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, not UTF-8 or not JSON
        return None
    if not isinstance(document, dict):
        return None
    if document.get("format") != FORMAT or document.get("key") != key or "value" not in document:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used: kept from pruning
    return document


def _write(path: Path, key: str, value: Any) -> None:
    """Store the entry; a folder that cannot be written only costs the next compilation."""
    text = json.dumps({"format": FORMAT, "key": key, "value": value}, ensure_ascii=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    except OSError:
        return
    _prune(path)


def _prune(written: Path) -> None:
    """Delete the entries of the same kind that no process has used for a month."""
    kind = written.name.rsplit("-", 1)[0]
    oldest_kept = time.time() - UNUSED_FOR
    for entry in written.parent.glob(f"{kind}-*.json"):
        with contextlib.suppress(OSError):
            if entry != written and entry.stat().st_mtime < oldest_kept:
                entry.unlink()

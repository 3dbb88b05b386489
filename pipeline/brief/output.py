"""`povexit report`: the batch's findings as text, markdown, html or xlsx, in Chinese or English,
to stdout or a file. A file is written beside its final name and renamed into place, so a
reader (a browser, Excel, a file share) never sees half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipeline import settings
from pipeline.brief import labels
from pipeline.errors import EXIT_PUBLISHED, InputError

FORMATS = ("text", "md", "html", "xlsx")
# Formats written to a file even without --out: <marts>/briefs/<batch_id>.<lang>.<ext>
FILE_FORMATS = ("html", "xlsx")
BRIEFS_DIR_NAME = "briefs"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(temporary path)` in `path`'s folder, then rename the file to `path`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}"
        )
        os.close(handle)
    except OSError as error:
        raise InputError(f"{path}: cannot write there ({error.strerror})") from None
    temporary = Path(name)
    try:
        write(temporary)
        # mkstemp makes the file private; the brief is read as any file the user writes
        os.chmod(temporary, 0o666 & ~_umask())
        try:
            os.replace(temporary, path)
        except OSError as error:
            raise InputError(f"{path}: cannot write there ({error.strerror})") from None
    finally:
        temporary.unlink(missing_ok=True)


def default_path(marts: Path, batch_id: str, lang: str, fmt: str) -> Path:
    return marts / BRIEFS_DIR_NAME / f"{batch_id}.{lang}.{fmt}"


def report(
    marts: Path,
    batch_id: str,
    fmt: str = "text",
    lang: str = "en",
    out: Path | None = None,
) -> int:
    """Write the batch's report: text and md to stdout (or `out`), html and xlsx to `out` or
    the briefs folder beside the marts; a file's path is printed."""
    from pipeline.report import open_marts

    settings.check_batch_id(batch_id)
    labels.check_lang(lang)
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    marts_file = settings.marts_path(marts)
    with open_marts(marts_file) as con:
        # an unknown batch: one line, before anything is written
        published = con.execute(
            "select count(*) from batch_summary where batch_id = ?", [batch_id]
        ).fetchone()[0]
        if not published:
            raise InputError(f"{marts_file}: no published batch {batch_id!r}")
        if fmt in ("text", "md"):
            from pipeline.brief.text import markdown_report, text_report

            content = (text_report if fmt == "text" else markdown_report)(con, batch_id, lang)
            if out is None:
                print(content.rstrip("\n"))
                return EXIT_PUBLISHED
            write_atomically(
                out, lambda path: path.write_text(content.rstrip("\n") + "\n", encoding="utf-8")
            )
        else:
            target = out or default_path(marts, batch_id, lang, fmt)
            if fmt == "html":
                from pipeline.brief.html import write_html

                write_atomically(target, lambda path: write_html(con, batch_id, lang, path))
            else:
                from pipeline.brief.workbook import write_workbook

                write_atomically(target, lambda path: write_workbook(con, batch_id, lang, path))
            out = target
    print(f"wrote {out.resolve()}")
    return EXIT_PUBLISHED

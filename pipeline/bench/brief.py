"""The brief's build time, measured in a child process: `python -m pipeline.bench.brief MARTS
BATCH` writes the batch's four brief files (HTML and xlsx, zh and en) from published marts, as
the `brief` asset does, and prints what it wrote as JSON: seconds and bytes per file.

Imports are inside the timing: a fresh process pays them once, as a run's brief step does.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path


def build(marts: Path, batch_id: str, out: Path) -> dict:
    started = time.perf_counter()
    from pipeline import warehouse
    from pipeline.brief.html import write_html
    from pipeline.brief.workbook import write_workbook
    from pipeline.settings import marts_path

    files = {}
    with warehouse.connect(marts_path(marts), read_only=True) as con:
        for lang in ("zh", "en"):
            for ext, write in (("html", write_html), ("xlsx", write_workbook)):
                path = out / f"{batch_id}.{lang}.{ext}"
                write(con, batch_id, lang, path)
                files[path.name] = path.stat().st_size
    return {"seconds": time.perf_counter() - started, "bytes": files}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(build(Path(sys.argv[1]), sys.argv[2], Path(folder))))

"""The `duckdb` shell of the project's venv (`duckdb-cli` on PyPI), run as a user runs it, and the
shell commands README.md tells users to run."""

from __future__ import annotations

import csv
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

from pipeline.settings import PROJECT_ROOT

# `uv run duckdb` runs the console script of the project's venv, beside its Python.
DUCKDB_SHELL = Path(sys.executable).parent / "duckdb"


def query(database: Path, sql: str) -> list[list[str]]:
    """Run `sql` read-only on `database` in the shell; the CSV rows it prints, header first."""
    # -init /dev/null: a user's ~/.duckdbrc must not change what the test sees.
    command = [str(DUCKDB_SHELL), "-init", "/dev/null", "-readonly", "-csv", str(database)]
    result = subprocess.run(
        [*command, "-c", sql], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return list(csv.reader(io.StringIO(result.stdout)))


def readme_queries(database: str) -> list[str]:
    """The SQL of every `uv run duckdb -readonly <database> -c ...` command in README.md's shell
    blocks, `database` spelled as README spells it."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    queries = []
    for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL):
        # shlex reads the quoted multi-line SQL as the shell does, and drops the comments.
        words = shlex.split(block, comments=True)
        for at in (i for i, word in enumerate(words) if word == "duckdb"):
            if words[at - 2 : at] == ["uv", "run"] and words[at + 1 : at + 3] == [
                "-readonly",
                database,
            ]:
                assert words[at + 3] == "-c", words[at : at + 4]
                queries.append(words[at + 4])
    return queries

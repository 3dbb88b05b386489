"""What validating one raw table takes: its compiled SQL and what its accepted rows keep.

Plain data, so a process that finds the plans cached (`pipeline.validation`) reads them
without importing the compiler (`pipeline.rule_compiler`) and its ibis and pandera.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pipeline.schemas.fields import RawTable
from pipeline.schemas.names import layer_name


def rows_to_check(table: str) -> str:
    """The name the compiled check query reads a raw relation's rows under; validation puts
    the relation in its place (`pipeline.validation.rows_to_check_sql`). For a file whose
    lines are all rows, the file itself, read on every thread and in file order, with no line
    numbers (`line_number` is null): the check's table numbers them by position. For any
    other file, a copy of the numbered raw relation: DuckDB numbers a file's lines on one
    thread, and a query over that numbering stays on one."""
    return f"_to_check_{table}"


def checked_rows_table(table: str) -> str:
    """The temp table the check query fills, in the order of `rows_to_check(table)`: every
    row, its typed values, the texts as read that findings show, and its findings. It lives
    in memory (spilling past the memory limit) and never in the database file: a quarantined
    row's values as read are not written there, and writing millions of rows of text to disk
    costs more than the check."""
    return f"_checking_{table}_rows"


def checking_table(table: str) -> str:
    """The temp view of `checked_rows_table(table)` with every row's line number, which the
    rules that read beyond their row, the quarantine and the accepted rows read."""
    return f"_checking_{table}"


def checked_table(table: str) -> str:
    """The table validation stores for staging: the accepted rows, with the typed columns
    staging reads (`staged_columns`). Staging selects from it instead of parsing the raw text
    a second time; the typed values are stored once."""
    return f"_checked_{table}"


def staged_columns(table: RawTable) -> list[str]:
    """The typed columns a checked table keeps for staging: every loaded column but the
    personal data, which stays behind in the raw file."""
    return [field.name for field in table.loaded_fields if not field.pii]


def checked_source(table: str) -> str | None:
    """The raw table whose checked table `table` is, or None: staging reads checked tables,
    which the quarantine's asset writes, with values parsed from the raw table's columns."""
    base = table.removeprefix(checked_table(""))
    return layer_name(base, "raw") if base != table else None


def accepted_table(table: str) -> str:
    """The temp view of a validated table's accepted rows (`valid_table` in the schemas): the
    columns later tables' rules read, from its checked table."""
    return f"_accepted_{table}"


@dataclass(frozen=True)
class TablePlan:
    table: str
    # Creates `checked_rows_table(table)` from `rows_to_check(table)`: the one read of the
    # raw rows. It evaluates the rules that look at one row alone and keeps the rows' order.
    check_sql: str
    # (line_number, findings) over `checking_table(table)` of the rules that read beyond
    # their row: other rows (uniqueness) or other tables (a member's household); or None.
    beyond_row_findings_sql: str | None
    # The columns of the accepted rows that cross-table rules of later tables read.
    accepted_columns: tuple[str, ...]

    def check_sql_over(self, source: str) -> str:
        """`check_sql` reading `source` (a table's quoted name, or a subquery) in place of
        `rows_to_check(table)`, which it names once."""
        name = f'"{rows_to_check(self.table)}"'
        if self.check_sql.count(name) != 1:
            raise ValueError(f"the check query of {self.table} does not name {name} once")
        return self.check_sql.replace(name, source)

    def check_select_over(self, source: str) -> str:
        """The query of `check_sql_over(source)`, without the table it creates."""
        return self.check_sql_over(source).split(" as\n", 1)[1]

    def to_json(self) -> dict:
        return {**asdict(self), "accepted_columns": list(self.accepted_columns)}

    @classmethod
    def from_json(cls, data: dict) -> TablePlan:
        """A plan read back, or TypeError/KeyError if `data` is not one."""
        plan = cls(
            table=data["table"],
            check_sql=data["check_sql"],
            beyond_row_findings_sql=data["beyond_row_findings_sql"],
            accepted_columns=tuple(data["accepted_columns"]),
        )
        texts = (plan.table, plan.check_sql, *plan.accepted_columns)
        if not all(isinstance(text, str) for text in texts):
            raise TypeError("a validation plan holds text only")
        if not isinstance(plan.beyond_row_findings_sql, str | None):
            raise TypeError("a validation plan holds text only")
        return plan

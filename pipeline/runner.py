"""Running batches through the Dagster job, from the command line.

Before Dagster starts, every batch id is checked (before any file is opened) and every batch's
manifest and file headers are read, so unusable input fails fast with one line naming the file.
Each batch is then one run of the `assess_batch` job on its partition, holding the batch's run
lock from start to finish: a second `povexit run` of the same batch (from the same raw folder or
another) says once whom it waits for, then waits, instead of interleaving its steps with the
first's on the batch's one working database. What the run leaves to say (verdicts, rows read
and quarantined, where to look next) is read while the lock is still held, so it is this run's.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import sys
import warnings
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import dagster as dg

from pipeline import prefetch, run_summary, settings, warehouse
from pipeline.defs.resources import PovexitPaths
from pipeline.errors import (
    EXIT_BLOCKED,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_PUBLISHED,
    InputError,
)
from pipeline.fingerprint import check_readable
from pipeline.ingest import open_table
from pipeline.locks import exclusive_lock
from pipeline.manifest import read_manifest
from pipeline.report import verdict_summary
from pipeline.schemas.fields import RAW_TABLES


def discover_batches(raw: Path) -> list[str]:
    if not raw.is_dir():
        raise InputError(f"{raw}: raw folder not found")
    found = sorted(p.name for p in raw.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not found:
        raise InputError(f"{raw}: no batch folders")
    return found


def preflight(batch_dir: Path) -> None:
    """Everything that makes a batch unusable as a whole, found before any run starts."""
    read_manifest(batch_dir)
    for table in RAW_TABLES:
        open_table(batch_dir, table)
    check_readable(batch_dir)  # publishing hashes every file of the folder


@dataclass
class Outcome:
    code: int
    message: str = ""
    # What to tell the user beside the exit code: results on stdout, diagnostics on stderr.
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)


def _input_error(error) -> str | None:
    """The message of an InputError somewhere in a failure's cause chain."""
    while error is not None:
        if error.cls_name == "InputError":
            return error.message.split(":", 1)[1].strip() if ":" in error.message else error.message
        error = error.cause
    return None


# How Ctrl-C reaches a failed step: as itself, or as Dagster's word for it.
_INTERRUPTIONS = {"KeyboardInterrupt", "DagsterExecutionInterruptedError"}
# Or as DuckDB's, when it lands during a query (SIGINT, or SIGTERM, which Dagster turns into
# one): DuckDB stops the query and raises a plain RuntimeError with this message.
_DUCKDB_INTERRUPTED = "RuntimeError: Query interrupted"


def _interrupted(error) -> bool:
    """Whether a failure's cause chain holds an interruption (Ctrl-C, SIGINT, SIGTERM)."""
    while error is not None:
        if error.cls_name in _INTERRUPTIONS:
            return True
        if error.cls_name == "RuntimeError" and error.message.strip() == _DUCKDB_INTERRUPTED:
            return True
        error = error.cause
    return False


def classify(result: dg.ExecuteInProcessResult) -> Outcome:
    if result.success:
        return Outcome(EXIT_PUBLISHED)
    failed_checks = [
        evaluation for evaluation in result.get_asset_check_evaluations() if not evaluation.passed
    ]
    if failed_checks:
        lines = [evaluation.description or evaluation.check_name for evaluation in failed_checks]
        return Outcome(
            EXIT_BLOCKED, "blocking check failed, nothing published: " + "; ".join(lines)
        )
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            if _interrupted(error):
                return Outcome(EXIT_INTERRUPTED, "interrupted; nothing published")
            message = _input_error(error)
            if message:
                return Outcome(EXIT_INPUT, message)
            return Outcome(
                EXIT_INTERNAL, f"internal error in {event.step_key} (rerun with --debug)"
            )
    return Outcome(EXIT_INTERNAL, "the run failed (rerun with --debug)")


def _records_runs() -> bool:
    """Whether runs go to a persistent Dagster instance (the UI shows them) or vanish."""
    return bool(os.environ.get("DAGSTER_HOME"))


# Beside the instance's storage in DAGSTER_HOME: whoever opens the instance holds it meanwhile.
INSTANCE_LOCK = ".povexit-instance.lock"


def _instance() -> dg.DagsterInstance:
    if not _records_runs():
        return dg.DagsterInstance.ephemeral()
    home = Path(os.environ["DAGSTER_HOME"])
    if not home.is_dir():
        return dg.DagsterInstance.get()  # Dagster's own message names the problem
    # Opening an instance creates its storage the first time. Two processes doing so at once
    # on an empty DAGSTER_HOME (two `povexit run` started together) each stamp the schema's
    # version, and a second stamp leaves it unreadable for good ("more than one head"): they
    # open it in turn.
    with exclusive_lock(home / INSTANCE_LOCK):
        return dg.DagsterInstance.get()


def run_batches(raw: Path, marts: Path, batch_ids: list[str] | None, debug: bool = False) -> int:
    batch_ids = batch_ids or discover_batches(raw)
    for batch_id in batch_ids:
        settings.check_batch_id(batch_id)
    for batch_id in batch_ids:
        batch_dir = raw / batch_id
        if not batch_dir.is_dir():
            raise InputError(f"{batch_dir}: batch folder not found")
        preflight(batch_dir)

    with _workers(len(batch_ids), debug, raw, marts) as each:
        outcomes = each(run_one, batch_ids)
        for batch_id, outcome in zip(batch_ids, outcomes, strict=True):
            _say(outcome.out, sys.stdout)
            if outcome.code != EXIT_PUBLISHED:
                _say([f"error: {batch_id}: {outcome.message}", *outcome.err], sys.stderr)
        code = max(outcome.code for outcome in outcomes)
        published = [
            b for b, o in zip(batch_ids, outcomes, strict=True) if o.code == EXIT_PUBLISHED
        ]
        if not published:
            return code
        # The province tables, then the briefs, whose history reads them: after every batch
        # of this run has published, so no brief misses a round published beside it. Each
        # publish rebuilt the tables already, in the same marts file (pipeline.publish); their
        # own run only records them as Dagster assets, which an ephemeral instance forgets.
        if _records_runs():
            province = _record_province(each)
            if province != EXIT_PUBLISHED:
                return max(code, province)
        if not settings.briefs_wanted():
            return code
        for batch_id, brief in zip(published, each(run_brief, published), strict=True):
            _say(brief.out, sys.stdout)
            if brief.code != EXIT_PUBLISHED:
                _say([f"error: {batch_id}: brief not written: {brief.message}"], sys.stderr)
                code = max(code, brief.code)
    return code


def _record_province(each) -> int:
    """The `province_marts` run's exit code; its failure said on stderr."""
    [province] = each(run_province, ["province"])
    if province.code != EXIT_PUBLISHED:
        _say([f"error: province tables: {province.message}"], sys.stderr)
    return province.code


@contextmanager
def _workers(count: int, debug: bool, raw: Path, marts: Path) -> Iterator:
    """`each(function, items)`: `function(item, debug, raw, marts)` for every item, in this
    process for one batch, else in worker processes that stay up (and warm) for every phase.

    Each batch has its own working database, so batches run side by side, one process each
    (spawned: a forked copy of a process holding DuckDB and Dagster state is unsafe).
    """
    if count == 1:
        yield lambda function, items: [function(item, debug, raw, marts) for item in items]
        return
    context = multiprocessing.get_context("spawn")
    workers = min(count, os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:

        def each(function, items: list) -> list:
            n = len(items)
            return list(pool.map(function, items, [debug] * n, [raw] * n, [marts] * n))

        yield each


def _execute(job: str, debug: bool, raw: Path, marts: Path, partition: str | None = None):
    """One in-process run of a job (on a batch's partition, if given); its result."""
    if not debug:
        warnings.filterwarnings("ignore")
    from pipeline.definitions import defs

    paths = PovexitPaths(raw_dir=str(raw), marts_dir=str(marts))
    with _instance() as instance:
        # The command turned collection off for the imports (`pipeline.cli.entry`): what
        # they loaded stays for the process's life, so later collections need not scan it.
        gc.freeze()
        gc.enable()
        if partition is not None:
            instance.add_dynamic_partitions("batch", [partition])
        return defs.resolve_job_def(job).execute_in_process(
            partition_key=partition,
            instance=instance,
            run_config={
                # The folders reach the definitions as the resource's config.
                "resources": {"paths": {"config": paths.folders_config()}},
                "loggers": {"console": {"config": {"log_level": "DEBUG" if debug else "CRITICAL"}}},
            },
            raise_on_error=False,
        )


def run_province(_: str, debug: bool, raw: Path, marts: Path) -> Outcome:
    """One run of the `province_marts` job: the cross-batch tables from what was published.
    (Each publish has rebuilt them already; this run records them as Dagster assets.)"""
    return classify(_execute("province_marts", debug, raw, marts))


def run_brief(batch_id: str, debug: bool, raw: Path, marts: Path) -> Outcome:
    """One run of the `write_briefs` job on the batch's partition: its HTML and xlsx brief."""
    outcome = classify(_execute("write_briefs", debug, raw, marts, partition=batch_id))
    if outcome.code == EXIT_PUBLISHED:
        outcome.out = [f"brief: {run_summary.briefs_line(marts, batch_id)}"]
    return outcome


def _say(lines: list[str], stream: TextIO) -> None:
    """Print, unless the reader has gone (`povexit run | head`): the run's work is done and its
    exit code still stands, so a closed pipe silences the output without a complaint."""
    if not lines:
        return
    try:
        print("\n".join(lines), file=stream, flush=True)
    except BrokenPipeError:
        # Python would complain again when flushing at exit; point the stream at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def waiting_line(batch_id: str, pid: int | None) -> str:
    return f"waiting for batch {batch_id} ({f'process {pid}' if pid else 'another process'})"


@contextmanager
def batch_turn(paths: PovexitPaths, batch_id: str) -> Iterator[None]:
    """Hold the batch's run lock; if another run has it, say so once (stderr) and wait."""

    def waiting(pid: int | None) -> None:
        _say([waiting_line(batch_id, pid)], sys.stderr)

    with paths.run_lock(batch_id, on_wait=waiting):
        yield


def run_one(batch_id: str, debug: bool, raw: Path, marts: Path) -> Outcome:
    """One run of the `assess_batch` job on the batch's partition, the batch to itself."""
    paths = PovexitPaths(raw_dir=str(raw), marts_dir=str(marts))
    # The publish step records the input's fingerprint, seconds of hashing for a large batch:
    # started now, it is ready by then (the job runs in this process). A run of this batch
    # alone has started it already, after reading the files ahead (`pipeline.cli`).
    prefetch.start(paths.batch_dir(batch_id), screens=False)
    with batch_turn(paths, batch_id):
        try:
            outcome = classify(_execute("assess_batch", debug, raw, marts, partition=batch_id))
        finally:
            # The batch's copies of its files (every name and id number) never outlive the
            # run, whatever ended it: validation removes them, and the raw steps' hooks do
            # after a failure (`pipeline.defs.hooks`); this covers a run stopped where no
            # hook runs.
            shutil.rmtree(paths.sources_dir(batch_id), ignore_errors=True)
        describe(outcome, paths, batch_id)
    return outcome


def describe(outcome: Outcome, paths: PovexitPaths, batch_id: str) -> None:
    """Fill in what the user is told about a published or blocked run."""
    if outcome.code not in (EXIT_PUBLISHED, EXIT_BLOCKED):
        return
    working = paths.warehouse_path(batch_id)
    with (
        paths.warehouse_lock(batch_id),
        warehouse.connect(working, read_only=True) as con,
    ):
        files = run_summary.file_lines(batch_id, run_summary.file_counts(con))
    if outcome.code == EXIT_PUBLISHED:
        outcome.out = [
            *verdict_summary(settings.marts_path(paths.marts), batch_id),
            *files,
            *run_summary.published_lines(batch_id, paths.marts),
        ]
    else:
        outcome.out = files
        outcome.err = run_summary.quarantine_lines(working)

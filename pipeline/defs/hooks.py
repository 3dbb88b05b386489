"""Hooks: what a failed run must not leave behind.

They are the assets' own, not a job's: a run the UI starts on a selection of assets ("Materialize")
is an implicit asset job, which carries no job's hooks.

A GB18030 file's UTF-8 copy and a workbook's Parquet copy hold every name and id number;
validation removes them once it has read them. A run that fails before (bad input in a file,
Ctrl-C) removes them here: when the step fails, and when a raw step ends after another step of
the run has failed (Dagster goes on with the steps that do not need a failed one, and a later
raw step would make its copy after the failed step's hook had run). Validation does not run
in a run with a failed raw step, so nothing there needs the copies; the next run makes them
again.
"""

import shutil

import dagster as dg


def _remove_copies(context: dg.HookContext) -> None:
    run = context.instance.get_run_by_id(context.run_id)
    batch_id = run.tags.get("dagster/partition") if run is not None else None
    if batch_id:
        shutil.rmtree(context.resources.paths.sources_dir(batch_id), ignore_errors=True)


@dg.failure_hook(required_resource_keys={"paths"})
def remove_batch_copies(context: dg.HookContext) -> None:
    """On a raw file's step or validation's failing: remove the batch's copies."""
    _remove_copies(context)


@dg.success_hook(required_resource_keys={"paths"})
def remove_batch_copies_after_a_failure(context: dg.HookContext) -> None:
    """On a raw file's step ending well in a run where a step has failed: remove the copies."""
    failures = context.instance.get_records_for_run(
        context.run_id, of_type=dg.DagsterEventType.STEP_FAILURE, limit=1
    ).records
    if failures:
        _remove_copies(context)

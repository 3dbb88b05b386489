"""Hooks of the batch job: what a failed step must not leave behind."""

import shutil

import dagster as dg


@dg.failure_hook(required_resource_keys={"paths"})
def remove_batch_copies(context: dg.HookContext) -> None:
    """Remove the batch's copies of its files when a step fails.

    A GB18030 file's UTF-8 copy and a workbook's Parquet copy hold every name and id number;
    validation removes them once it has read them, and a run that stops before (bad input in
    another file, Ctrl-C) removes them here. The next run makes them again.
    """
    run = context.instance.get_run_by_id(context.run_id)
    batch_id = run.tags.get("dagster/partition") if run is not None else None
    if batch_id:
        shutil.rmtree(context.resources.paths.sources_dir(batch_id), ignore_errors=True)

"""Hooks: what a failed step must not leave behind.

They are the assets' own, not a job's: a run the UI starts on a selection of assets ("Materialize")
is an implicit asset job, which carries no job's hooks.
"""

import shutil

import dagster as dg


@dg.failure_hook(required_resource_keys={"paths"})
def remove_batch_copies(context: dg.HookContext) -> None:
    """Remove the batch's copies of its files when a step between their making and their
    removal fails: a raw file's step or validation's.

    A GB18030 file's UTF-8 copy and a workbook's Parquet copy hold every name and id number;
    validation removes them once it has read them, and a run that stops before (bad input in
    another file, Ctrl-C) removes them here. The next run makes them again.
    """
    run = context.instance.get_run_by_id(context.run_id)
    batch_id = run.tags.get("dagster/partition") if run is not None else None
    if batch_id:
        shutil.rmtree(context.resources.paths.sources_dir(batch_id), ignore_errors=True)

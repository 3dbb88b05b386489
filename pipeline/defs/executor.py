"""The executor of every job: in process unless a run's config picks the multiprocess one.

Dagster's default executor (`multi_or_in_process_executor`) runs a step per process when a run
has no `execution` config, which is how the UI, GraphQL and the implicit asset jobs launch: a
whole batch then takes minutes instead of seconds, since a batch's DuckDB steps take turns
anyway and each process pays for its start-up. This one offers the same two choices, with the
same config, but defaults to in process. A job-level default config would not reach runs
launched with empty config, nor the implicit asset jobs; an executor default does.
"""

import dagster as dg

_DEFAULT = dg.multi_or_in_process_executor

in_process_first_executor = dg.ExecutorDefinition(
    name="in_process_first_executor",
    # The same `in_process` / `multiprocess` choice as Dagster's default executor, so a
    # launchpad config written for it still applies.
    config_schema=dg.Field(
        dg.Selector(_DEFAULT.config_schema.config_type.fields),
        default_value={"in_process": {}},
    ),
    # The multiprocess choice needs a reconstructable job and a persistent instance; the
    # in-process one needs neither.
    requirements=_DEFAULT.get_requirements,
    executor_creation_fn=_DEFAULT.executor_creation_fn,
    description="In process by default; `multiprocess` in the run config for a process per step.",
)

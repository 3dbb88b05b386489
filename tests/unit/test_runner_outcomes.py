"""What `povexit run` makes of a failed step: Ctrl-C is an interruption (exit 130), an
InputError is the user's (exit 2), anything else an internal error (exit 3)."""

from __future__ import annotations

from types import SimpleNamespace

from dagster._utils.error import SerializableErrorInfo

from pipeline.runner import classify


def error(cls_name: str, cause=None) -> SerializableErrorInfo:
    return SerializableErrorInfo(f"{cls_name}: /x/members.csv: it broke", [], cls_name, cause)


def failed_step(failure: SerializableErrorInfo):
    event = SimpleNamespace(
        is_step_failure=True,
        step_key="rejected_rows",
        step_failure_data=SimpleNamespace(error=failure),
    )
    return SimpleNamespace(
        success=False, get_asset_check_evaluations=lambda: [], all_events=[event]
    )


def test_ctrl_c_in_a_step__is_an_interruption():
    for failure in (
        error("KeyboardInterrupt"),
        error("DagsterExecutionStepExecutionError", error("DagsterExecutionInterruptedError")),
    ):
        outcome = classify(failed_step(failure))
        assert (outcome.code, outcome.message) == (130, "interrupted; nothing published")


def test_other_failures__keep_their_codes():
    assert classify(failed_step(error("InputError"))).code == 2
    assert classify(failed_step(error("IOException"))).code == 3

"""What `povexit run` makes of a failed step: Ctrl-C is an interruption (exit 130), an
InputError is the user's (exit 2), anything else an internal error (exit 3)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import SimpleNamespace

import duckdb
from dagster._utils.error import SerializableErrorInfo, serializable_error_info_from_exc_info

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


def test_ctrl_c_during_a_duckdb_query__is_an_interruption():
    # DuckDB stops the query and raises its own error, not KeyboardInterrupt. It stops only
    # when Python's SIGINT handler raises: a test run earlier in this process may have left a
    # handler that notes the signal and returns (Dagster's `capture_interrupts` installs one),
    # so Python's own is put back meanwhile.
    con = duckdb.connect()
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    try:
        timer.start()
        con.execute("select count(*) from range(10000000000) t(i) where i % 7 = 3").fetchall()
    except BaseException:
        cause = serializable_error_info_from_exc_info(sys.exc_info())
    else:
        raise AssertionError("the query was not interrupted")
    finally:
        timer.cancel()  # no stray signal if the query failed before it fired
        if handler is not None:  # None: a handler installed from C, which Python cannot restore
            signal.signal(signal.SIGINT, handler)
    outcome = classify(failed_step(error("DagsterExecutionStepExecutionError", cause)))
    assert (outcome.code, outcome.message) == (130, "interrupted; nothing published")


def test_other_failures__keep_their_codes():
    assert classify(failed_step(error("InputError"))).code == 2
    assert classify(failed_step(error("IOException"))).code == 3

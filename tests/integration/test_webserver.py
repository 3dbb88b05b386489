"""The Dagster UI for real: dagster-webserver on a loopback port, driven through its GraphQL API.

Reads the asset graph (every SPEC section 4 mart, lineage back to the raw tables), registers the
reference batch's partition, launches a materialisation of it and waits for success. A run
launched with empty config, as the UI does, must use the in-process executor: the multiprocess
one starts a process per step and takes minutes where in-process takes seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.settings import PROJECT_ROOT

# A webserver and whole runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow

REFERENCE_BATCH = "guizhou-2020"
SPEC_MARTS = {
    "county_assessment",
    "survey_household_income",
    "guarantee_compliance",
    "batch_summary",
    "rectification_list",
    "rejected_rows",
    "agency_findings",
    "monitoring_list",
    "indicator_confidence",
}
# published per batch beside them, for the province's trajectory
PROVINCE_INPUTS = {"registry_cohorts"}
RAW_TABLES = {
    "raw_counties",
    "raw_registry_households",
    "raw_registry_members",
    "raw_survey_households",
    "raw_objections",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GraphQL:
    def __init__(self, url: str):
        self.url = url

    def __call__(self, query: str, **variables) -> dict:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
        assert "errors" not in answer, answer["errors"]
        return answer["data"]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    raw = root / "raw"
    shutil.copytree(PROJECT_ROOT / "data" / "raw" / REFERENCE_BATCH, raw / REFERENCE_BATCH)
    home = root / "dagster_home"
    home.mkdir()
    # Launch runs straight away: the queued coordinator would wait for a daemon to dequeue.
    (home / "dagster.yaml").write_text(
        "run_coordinator:\n"
        "  module: dagster._core.run_coordinator.default_run_coordinator\n"
        "  class: DefaultRunCoordinator\n"
    )
    port = free_port()
    env = os.environ | {
        "DAGSTER_HOME": str(home),
        "POVEXIT_RAW_DIR": str(raw),
        "POVEXIT_MARTS_DIR": str(root / "marts"),
    }
    command = [
        sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port),
        "-w", str(PROJECT_ROOT / "workspace.yaml"),
    ]  # fmt: skip
    log = (root / "webserver.log").open("w")
    server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
    query = GraphQL(f"http://127.0.0.1:{port}/graphql")
    deadline = time.monotonic() + 120
    while True:
        try:
            query("{ version }")
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(
                    "dagster-webserver did not start: " + Path(log.name).read_text()[-2000:]
                )
            time.sleep(1)
    yield query, root
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


ASSET_NODES = """
{ assetNodes { assetKey { path } groupName dependencyKeys { path } } }
"""


def test_ui__shows_every_mart_with_lineage_back_to_raw(webserver):
    query, _ = webserver
    nodes = query(ASSET_NODES)["assetNodes"]
    parents = {
        node["assetKey"]["path"][-1]: {dep["path"][-1] for dep in node["dependencyKeys"]}
        for node in nodes
    }
    assert set(parents) >= SPEC_MARTS
    assert parents["exit_assessment"] == SPEC_MARTS | PROVINCE_INPUTS
    assert parents["province_progress"] == parents["poverty_trajectory"] == {"exit_assessment"}

    def ancestors(name: str) -> set[str]:
        found, todo = set(), [name]
        while todo:
            for parent in parents[todo.pop()]:
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        return found

    for mart in SPEC_MARTS:
        assert ancestors(mart) >= RAW_TABLES, mart


REPOSITORY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }
"""
ADD_PARTITION = """
mutation($selector: RepositorySelector!, $key: String!) {
  addDynamicPartition(repositorySelector: $selector, partitionsDefName: "batch",
                      partitionKey: $key) { __typename }
}
"""
LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""
RUN_STATUS = """
query($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }
"""
RUN_EVENTS = """
query($runId: ID!, $cursor: String) {
  logsForRun(runId: $runId, afterCursor: $cursor) {
    ... on EventConnection { events { __typename ... on MessageEvent { message } } cursor hasMore }
  }
}
"""


@pytest.fixture(scope="module")
def repository(webserver) -> dict:
    """The repository's selector, with the reference batch registered as a partition."""
    query, _ = webserver
    [repository] = query(REPOSITORY)["repositoriesOrError"]["nodes"]
    selector = {
        "repositoryName": repository["name"],
        "repositoryLocationName": repository["location"]["name"],
    }
    added = query(ADD_PARTITION, selector=selector, key=REFERENCE_BATCH)
    assert added["addDynamicPartition"]["__typename"] == "AddDynamicPartitionSuccess"
    return selector


def launch_and_wait(webserver, job_selector: dict) -> str:
    """Launches a run of the reference batch with empty config, as the UI does; its id once done."""
    query, root = webserver
    params = {
        "selector": job_selector,
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": REFERENCE_BATCH}]},
    }
    launched = query(LAUNCH, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 180
    status = None
    while time.monotonic() < deadline:
        status = query(RUN_STATUS, runId=run_id)["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    assert status == "SUCCESS", (root / "webserver.log").read_text()[-3000:]
    return run_id


def run_events(query: GraphQL, run_id: str) -> list[dict]:
    events, cursor = [], None
    while True:
        page = query(RUN_EVENTS, runId=run_id, cursor=cursor)["logsForRun"]
        events += page["events"]
        if not page["hasMore"]:
            return events
        cursor = page["cursor"]


def test_ui__materialises_the_reference_batch(webserver, repository):
    _, root = webserver
    launch_and_wait(webserver, {**repository, "jobName": "assess_batch"})
    assert (root / "marts" / "exit_assessment.duckdb").is_file()


@pytest.mark.parametrize("job_name", ["assess_batch", "__ASSET_JOB"])
def test_ui__a_run_with_empty_config_uses_the_in_process_executor(webserver, repository, job_name):
    """`__ASSET_JOB` is the job the UI's "Materialize" button launches. One asset is enough: the
    executor is chosen per run, and one step keeps the slow (multiprocess) failure short."""
    query, _ = webserver
    job_selector = {
        **repository,
        "jobName": job_name,
        "assetSelection": [{"path": ["batch_manifest"]}],
    }
    run_id = launch_and_wait(webserver, job_selector)
    events = run_events(query, run_id)
    # Each executor announces itself once, before the first step, in an engine event.
    announced = [
        event["message"]
        for event in events
        if event["__typename"] == "EngineEvent" and event["message"].startswith("Executing steps")
    ]
    assert len(announced) == 1 and announced[0].startswith("Executing steps in process"), announced
    # The multiprocess executor starts a worker process per step; in process there is none.
    workers = [event for event in events if event["__typename"] == "StepWorkerStartingEvent"]
    assert not workers

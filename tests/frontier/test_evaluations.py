"""Evaluations: real Inspect AI logs read with read_eval_log; malformed logs are precise 4xx."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clearinghouse.formats.errors import InputError
from clearinghouse.frontier.benchmarks import recognise_benchmark
from clearinghouse.frontier.evaluations import read_log
from clearinghouse.settings import Settings
from tests.frontier.conftest import Program, register_version, upload

API = "/api/v1/frontier"
LIMIT = 1024 * 1024


@pytest.mark.parametrize("name", ["cybench.eval", "cybench.json"])
def test_real_logs_are_stored_with_their_hash_and_metrics(
    client: TestClient, program: Program, inspect_logs: dict[str, Path], name: str
) -> None:
    _, version_id = register_version(client, program)
    path = inspect_logs[name]
    response = upload(client, program.evaluator, version_id, path)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["task"] == "cybench"
    assert stored["benchmark"] == "cybench"
    assert stored["evaluated_model"] == "mockllm/model"
    assert stored["status"] == "success"
    assert stored["total_samples"] == 4
    assert stored["completed_samples"] == 4
    assert stored["log_format"] == name.rsplit(".", 1)[1]
    assert stored["log_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    [score] = stored["scores"]
    assert score["scorer"] == "includes"
    assert score["metrics"]["accuracy"] == pytest.approx(0.75)
    assert score["metrics"]["stderr"] == pytest.approx(0.25)
    listed = client.get(
        f"{API}/versions/{version_id}/evaluations", headers=program.developer.headers
    ).json()
    assert [e["id"] for e in listed] == [stored["id"]]


def test_the_same_log_twice_is_a_conflict(
    client: TestClient, program: Program, inspect_logs: dict[str, Path]
) -> None:
    _, version_id = register_version(client, program)
    assert upload(client, program.evaluator, version_id, inspect_logs["cybench.eval"]).is_success
    again = upload(client, program.evaluator, version_id, inspect_logs["cybench.eval"])
    assert again.status_code == 409
    assert "already evaluation" in again.json()["detail"]


def test_only_evaluators_the_model_was_shared_with_upload(
    client: TestClient, program: Program, inspect_logs: dict[str, Path]
) -> None:
    _, version_id = register_version(client, program)
    log = inspect_logs["cybench.eval"]
    assert upload(client, program.other_evaluator, version_id, log).status_code == 404
    assert upload(client, program.developer, version_id, log).status_code == 403
    assert upload(client, program.operator, version_id, log).status_code == 403
    stored = upload(client, program.evaluator, version_id, log).json()
    # the other evaluator and strangers cannot read it; the developer and coordinators can
    for caller, code in (
        (program.other_evaluator, 404),
        (program.operator, 404),
        (program.developer, 200),
        (program.coordinator, 200),
    ):
        got = client.get(f"{API}/evaluations/{stored['id']}", headers=caller.headers)
        assert got.status_code == code


def _truncated(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: len(data) // 2]


def _zip_without_header() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a log")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "make", "status", "reason"),
    [
        ("run.eval", lambda logs: _truncated(logs["cybench.eval"]), 422, "truncated or corrupt"),
        ("run.json", lambda logs: _truncated(logs["cybench.json"]), 422, "not a readable"),
        ("run.eval", lambda logs: b"\x00" * 300, 422, "not one"),
        ("run.json", lambda logs: b'{"hello": "world"}', 422, "eval: Field required"),
        ("run.json", lambda logs: b"[1, 2, 3]", 422, "not one"),
        ("run.eval", lambda logs: _zip_without_header(), 422, "lacks the entry"),
        ("run.json", lambda logs: b"", 422, "empty"),
        ("run.txt", lambda logs: b"hello there", 415, "expected a .eval"),
        (
            "run.json",
            lambda logs: (
                logs["cybench.json"]
                .read_bytes()
                .replace(b'"status": "success"', b'"status": "maybe"', 1)
            ),
            422,
            "status",
        ),
        ("run.json", lambda logs: logs["cybench.eval"].read_bytes(), 422, "not one"),
    ],
)
def test_malformed_logs_are_precise_4xx_and_store_nothing(
    client: TestClient,
    program: Program,
    inspect_logs: dict[str, Path],
    tmp_path: Path,
    filename: str,
    make: object,
    status: int,
    reason: str,
) -> None:
    _, version_id = register_version(client, program)
    bad = tmp_path / filename
    bad.write_bytes(make(inspect_logs))  # type: ignore[operator]
    response = upload(client, program.evaluator, version_id, bad)
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]
    assert "Traceback" not in response.text
    assert str(tmp_path) not in response.text
    listed = client.get(
        f"{API}/versions/{version_id}/evaluations", headers=program.developer.headers
    )
    assert listed.json() == []


def test_oversized_uploads_are_refused_with_413(
    db: object, program: Program, inspect_logs: dict[str, Path], settings: Settings
) -> None:
    from dataclasses import replace

    from clearinghouse.api.app import create_app

    small = replace(settings, max_input_bytes=4096)
    with TestClient(create_app(small, db=db)) as client:  # type: ignore[arg-type]
        _, version_id = register_version(client, program)
        response = upload(client, program.evaluator, version_id, inspect_logs["cybench.json"])
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_an_archive_that_would_inflate_past_the_limit_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.eval"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.json", b"0" * 5_000_000)
    with pytest.raises(InputError) as caught:
        read_log("bomb.eval", bomb, limit=LIMIT, archive_limit=1_000_000)
    assert caught.value.status == 413


def test_read_log_gives_the_same_summary_for_both_formats(inspect_logs: dict[str, Path]) -> None:
    as_eval = read_log(
        "a.eval", inspect_logs["gdm_intercode_ctf.eval"], limit=LIMIT, archive_limit=LIMIT * 10
    )
    as_json = read_log(
        "a.json", inspect_logs["gdm_intercode_ctf.json"], limit=LIMIT, archive_limit=LIMIT
    )
    assert (
        (as_eval.task, as_eval.total_samples, as_eval.scores[0]["metrics"]["accuracy"])
        == (
            as_json.task,
            as_json.total_samples,
            as_json.scores[0]["metrics"]["accuracy"],
        )
        == ("gdm_intercode_ctf", 4, 0.25)
    )
    assert (as_eval.log_format, as_json.log_format) == ("eval", "json")


@pytest.mark.parametrize(
    ("task", "benchmark"),
    [
        ("cybench", "cybench"),
        ("inspect_evals/cybench", "cybench"),
        ("tasks.py@cybench", "cybench"),
        ("gdm_intercode_ctf", "intercode-ctf"),
        ("intercode-ctf", "intercode-ctf"),
        ("gdm_in_house_ctf", "gdm-in-house-ctf"),
        ("cyse2_interpreter_abuse", "cyberseceval-2"),
        ("cyse2_vulnerability_exploit", "cyberseceval-2"),
        ("cyse3_visual_prompt_injection", "cyberseceval-3"),
        ("cyse4_malware_analysis", "cyberseceval-4"),
        ("CyberSecEval_4", "cyberseceval-4"),
        ("cve_bench", "cvebench"),
        ("CVEBench", "cvebench"),
        ("cybergym", "cybergym"),
        ("threecb", "3cb"),
        ("3cb", "3cb"),
        ("mmlu_pro", None),
        ("cybermetric_80", None),
        ("cybenchmark", None),
        ("my_cyse2", None),
    ],
)
def test_cyber_benchmarks_are_recognised_by_task_name(task: str, benchmark: str | None) -> None:
    assert recognise_benchmark(task) == benchmark


def test_spooled_uploads_stop_at_the_limit() -> None:
    from clearinghouse.formats.errors import InputTooLarge
    from clearinghouse.frontier.evaluations import spooled_upload

    with spooled_upload("run.json", io.BytesIO(b"{}" * 10), limit=100) as path:
        assert path.suffix == ".json"
        assert path.read_bytes() == b"{}" * 10
    assert not path.exists()
    with (
        pytest.raises(InputTooLarge),
        spooled_upload("run.eval", io.BytesIO(b"x" * 3_000_000), limit=2_000_000),
    ):
        pass

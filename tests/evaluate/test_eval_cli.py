"""``agentscaler eval report`` on the real tau-bench file and on a run folder."""

from __future__ import annotations

import json
import re

import pytest

from agentscaler.errors import EvaluationError
from agentscaler.workspace import Workspace

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _pass_rows(output: str) -> dict[int, tuple[str, str]]:
    """k -> (pass^k, pass@k) as printed in the pass^k table."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        if len(cells) == 5 and cells[0].isdigit():
            rows[int(cells[0])] = (cells[1], cells[2])
    return rows


def test_tau_bench_report_prints_published_pass_k(cli, external, tmp_path, monkeypatch):
    path = external("tau-bench/gpt-4o-airline.json")
    monkeypatch.chdir(tmp_path)
    result = cli("eval", "report", path)
    assert result.exit_code == 0, result.output
    rows = _pass_rows(result.output)
    assert [rows[k][0] for k in (1, 2, 3, 4)] == ["0.420", "0.273", "0.220", "0.200"]
    # default output folder for a file: ./report
    out = tmp_path / "report"
    summary = json.loads((out / "summary.json").read_text())
    assert [round(r["pass_hat_k"], 3) for r in summary["pass_k"]] == [0.42, 0.273, 0.22, 0.2]
    assert summary["source"]["kind"] == "tau-bench" and summary["tasks"] == 50
    for name in ("pass_k.png", "accuracy_by_calls.png", "domains.png"):
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
    assert not (out / "funnel.png").exists()  # a result file has no filter funnel
    assert (out / "index.html").stat().st_size > 0


def test_max_k_and_out_option(cli, external, tmp_path):
    path = external("tau-bench/gpt-4o-airline.json")
    out = tmp_path / "elsewhere"
    result = cli("eval", "report", path, "--max-k", "2", "--out", out, "--no-html")
    assert result.exit_code == 0, result.output
    assert sorted(_pass_rows(result.output)) == [1, 2]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["max_k"] == 2 and len(summary["pass_k"]) == 2
    assert not (out / "index.html").exists()


def test_run_folder_report(cli, run_folder):
    result = cli("eval", "report", run_folder.root)
    assert result.exit_code == 0, result.output
    out = run_folder.root / "report"
    for name in (
        "summary.json",
        "pass_k.png",
        "accuracy_by_calls.png",
        "domains.png",
        "funnel.png",
        "index.html",
    ):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["infrastructure_failures"] == sum(p.infra for p in run_folder.plan)
    assert {d["name"] for d in summary["by_domain"]} == set(run_folder.domains.values())
    assert "order refund" in result.output
    assert Workspace(run_folder.root).stage_done("report")
    # tasks with fewer counted trials than k are left out at that k, and counted
    counted: dict[str, int] = {}
    for p in run_folder.plan:
        counted[p.task_id] = counted.get(p.task_id, 0) + (not p.infra)
    for row in summary["pass_k"]:
        assert row["excluded"] == sum(n < row["k"] for n in counted.values())
        assert row["tasks"] == sum(n >= row["k"] for n in counted.values())


def test_include_infrastructure_counts_them_as_failures(cli, run_folder, tmp_path):
    result = cli(
        "eval", "report", run_folder.root, "--include-infrastructure", "--out", tmp_path / "r"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["success"]["total"] == len(run_folder.plan)
    assert summary["include_infrastructure"] is True


def test_unknown_input_is_a_clear_error(cli, tmp_path):
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(EvaluationError, match="unknown file"):
        cli("eval", "report", bad)


def test_errors_exit_with_one_line(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", "eval", "report", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert message.startswith("error:") and "missing does not exist" in message
    assert "Traceback" not in result.stderr

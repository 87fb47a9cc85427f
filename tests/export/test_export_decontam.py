"""`agentscaler decontam` then `export`: rows of tasks overlapping a benchmark are left out."""

from __future__ import annotations

import json

from agentscaler.export.build import export_dataset, read_manifest
from agentscaler.export.config import ExportConfig
from agentscaler.export.writers import read_rows
from agentscaler.ingest import openai_name
from agentscaler.jsonl import read_json, write_records
from agentscaler.records import Domain, DomainMember, ToolSpec
from agentscaler.workspace import Workspace


def _with_tools(root) -> None:
    """tools.jsonl of the run's worlds, and domain members that point at those tools."""
    ws = Workspace(root)
    tools: list[ToolSpec] = []
    domains = []
    lines = ws.domains.read_text().splitlines()
    for domain in (Domain.from_json_dict(json.loads(line)) for line in lines):
        specs = read_json(ws.world_dir(domain.id) / "tools.json")
        made = [
            ToolSpec.create(
                name=openai_name(t["function"]["name"]),
                description=t["function"]["description"],
                parameters=t["function"]["parameters"],
            )
            for t in specs
        ]
        tools += made
        members = tuple(DomainMember(tool_id=t.id, name=t.name, kind="read") for t in made)
        domains.append(domain.model_copy(update={"members": members}))
    write_records(ws.tools, tools)
    write_records(ws.domains, domains)


def _rows(root, split):
    return list(read_rows(root / "dataset" / split / "data.parquet"))


def test_flagged_rows_are_left_out_counted_and_kept_on_request(run_folder, cli, tmp_path):
    flight_task = next(t for t in run_folder.tasks if t.domain_id == "d0002-flight")
    question = "Find me the cheapest direct flight from Boston to Denver on May 3rd please"
    run_folder.tasks[run_folder.tasks.index(flight_task)] = flight_task.model_copy(
        update={"intent": question.lower()}
    )
    root = run_folder.write()
    _with_tools(root)
    # a benchmark file in BFCL's dialect: one record reuses the retail world's lookup tool
    bench = tmp_path / "BFCL_v4_simple.json"
    record = {
        "id": "simple_7",
        "question": [[{"role": "user", "content": question}]],
        "function": [
            {
                "name": "find_user_by_email",
                "description": "Looks up a customer record.",
                "parameters": {
                    "type": "dict",
                    "properties": {"email": {"type": "string", "description": "e-mail"}},
                    "required": ["email"],
                },
            }
        ],
    }
    bench.write_text(json.dumps(record) + "\n")
    result = cli("decontam", root, "--against", bench, "--embedder", "hash")
    assert result.exit_code == 0, result.output
    report = json.loads((root / "decontam" / "report.json").read_text())
    (match,) = report["tool_matches"]
    assert match["name"] == "find_user_by_email" and match["kind"] == "exact"
    assert match["benchmark_source"] == f"{bench}:0"  # one JSON record: index 0
    retail = {t.id for t in run_folder.tasks if t.domain_id == "d0001-order"}
    assert set(report["flagged_tasks"]) == retail | {flight_task.id}
    by_intent = [m for m in report["task_matches"] if m["reason"] == "intent"]
    assert [m["task_id"] for m in by_intent] == [flight_task.id]
    assert by_intent[0]["question_id"] == "simple_7" and by_intent[0]["ngram"] == 1.0
    kept = [v.task_id for v in run_folder.verdicts if v.kept]
    assert report["kept_episodes"] == len(kept)
    assert report["kept_episodes_flagged"] == sum(1 for t in kept if t in retail | {flight_task.id})
    assert "tools flagged" in result.output and "1 exact" in result.output

    manifest = export_dataset(root, ExportConfig(heldout_fraction=0.0, measure_tokens=False))
    flagged = set(report["flagged_tasks"])
    rows = _rows(root, "stage1")
    assert rows and not {r.task_id for r in rows} & flagged
    assert manifest.input.decontaminated == report["kept_episodes_flagged"]
    assert manifest.input.kept_verdicts == report["kept_episodes"]
    assert len(rows) == report["kept_episodes"] - report["kept_episodes_flagged"]

    kept = export_dataset(
        root, ExportConfig(heldout_fraction=0.0, measure_tokens=False, decontaminate=False)
    )
    assert kept.input.decontaminated == 0
    assert {r.task_id for r in _rows(root, "stage1")} >= flagged
    # the export of the same settings is redone when decontam writes a new report
    again = cli("decontam", root, "--against", bench, "--embedder", "hash", "--scope", "tools")
    assert again.exit_code == 0, again.output
    redone = export_dataset(root, ExportConfig(heldout_fraction=0.0, measure_tokens=False))
    assert redone.fingerprint != manifest.fingerprint
    assert read_manifest(root) == redone

"""The export stage on realistic run folders: splits, rows, held-out tasks, resumption, errors."""

from __future__ import annotations

import json

import pytest

from agentscaler.errors import ConfigError, CorruptRecordError, RunFolderError
from agentscaler.export import writers
from agentscaler.export.build import count_kept, export_dataset, heldout_task_ids, read_manifest
from agentscaler.export.config import ExportConfig
from agentscaler.export.split import is_heldout
from agentscaler.export.writers import read_rows
from agentscaler.jsonl import read_records
from agentscaler.records.dataset import HeldOutTask
from agentscaler.workspace import Workspace


def _rows(root, split, fmt="parquet"):
    name = "data.parquet" if fmt == "parquet" else "data.jsonl"
    return list(read_rows(root / "dataset" / split / name))


def test_splits_partition_kept_episodes_by_task(run_folder):
    run_folder.populate(tasks_per_domain=6)  # 10 tasks per domain in all
    root = run_folder.write()
    config = ExportConfig(stage2_domains=("flight",), heldout_fraction=0.3, seed=7)
    manifest = export_dataset(root, config)

    kept = {v.episode_id for v in run_folder.verdicts if v.kept}
    rejected = {v.episode_id for v in run_folder.verdicts if not v.kept}
    stage1, stage2, heldout = (_rows(root, s) for s in ("stage1", "stage2", "heldout"))

    ids1, ids2, idsh = ({r.episode_id for r in rows} for rows in (stage1, stage2, heldout))
    assert ids1 | idsh == kept
    assert not (ids1 | idsh) & rejected
    assert not {r.task_id for r in stage1} & {r.task_id for r in heldout}
    assert heldout, "a 0.3 fraction of 30 tasks holds some out"
    assert ids2 == {r.episode_id for r in stage1 if r.domain_id == "d0002-flight"}
    assert {r.domain_id for r in stage1} == {"d0001-order", "d0002-flight", "d0003-hotel"}
    assert {r.stage for r in stage1} == {"stage1"} and {r.stage for r in stage2} == {"stage2"}
    assert {r.stage for r in heldout} == {"heldout"}

    assert manifest.stage2_domains == ("d0002-flight",)
    for split, rows in (("stage1", stage1), ("stage2", stage2), ("heldout", heldout)):
        stats = manifest.splits[split]
        assert stats.rows == len(rows)
        assert stats.tasks == len({r.task_id for r in rows})
        assert sum(d.rows for d in stats.domains) == len(rows)
    assert read_manifest(root) == manifest
    assert Workspace(root).stage_done("export", manifest.fingerprint)


def test_rows_carry_messages_tools_and_flags(run_folder):
    root = run_folder.write()
    export_dataset(root, ExportConfig(heldout_fraction=0.0))
    episodes = {e.id: e for e in run_folder.episodes}
    tools_files = {
        spec.id: json.loads((root / "worlds" / spec.id / "tools.json").read_text("utf-8"))
        for spec in run_folder.domains
    }
    rows = _rows(root, "stage1")
    assert rows
    for row in rows:
        episode = episodes[row.episode_id]
        # the trailing user turn of the retail chats is dropped; everything before is kept as is
        last_assistant = max(i for i, m in enumerate(episode.messages) if m.role == "assistant")
        assert row.messages == episode.messages[: last_assistant + 1]
        assert row.train == tuple(m.role == "assistant" for m in row.messages)
        assert list(row.tools) == tools_files[row.domain_id]
        assert row.domain == {s.id: s.name for s in run_folder.domains}[row.domain_id]
        assert row.offline is (episode.agent.offline or episode.user.offline)
        for message in row.messages:
            for call in message.tool_calls or ():
                assert isinstance(json.loads(call.function.arguments), dict)

    assert {row.offline for row in rows} == {True, False}
    by_id = {row.id: row.offline for row in rows}
    sharegpt = root / "dataset" / "sharegpt" / "stage1.jsonl"
    examples = [json.loads(line) for line in sharegpt.read_text("utf-8").splitlines()]
    assert examples and all(e["offline"] is by_id[e["id"]] for e in examples)


def test_parquet_and_jsonl_hold_the_same_rows(run_folder):
    root = run_folder.write()
    export_dataset(root, ExportConfig(stage2_domains=("hotel",), heldout_fraction=0.2))
    for split in ("stage1", "stage2", "heldout"):
        assert _rows(root, split, "parquet") == _rows(root, split, "jsonl")


def test_heldout_task_list_includes_tasks_without_kept_episodes(run_folder):
    spec = run_folder.domains[0]
    for index in range(100, 140):
        run_folder.add_task(spec, index, trials=0, rejected=1)
    root = run_folder.write()
    manifest = export_dataset(root, ExportConfig(heldout_fraction=0.4, seed=3))

    listed = read_records(root / "dataset" / "heldout" / "tasks.jsonl", HeldOutTask)
    expected = {t.id for t in run_folder.tasks if is_heldout(t.id, 0.4, 3)}
    assert {t.task_id for t in listed} == expected
    assert set(heldout_task_ids(root)) == expected
    assert manifest.heldout_tasks == len(expected)
    assert any(t.kept_episodes == 0 for t in listed), "rejected-only tasks are listed too"
    heldout_rows = _rows(root, "heldout")
    counts = {t.task_id: t.kept_episodes for t in listed}
    for row in heldout_rows:
        assert row.task_id in counts
    assert sum(counts.values()) == len(heldout_rows)


def test_second_run_is_a_no_op_and_new_settings_redo(run_folder):
    root = run_folder.write()
    first = export_dataset(root, ExportConfig(heldout_fraction=0.2))
    parquet = root / "dataset" / "stage1" / "data.parquet"
    stamp = parquet.stat().st_mtime_ns
    assert export_dataset(root, ExportConfig(heldout_fraction=0.2)) == first
    assert parquet.stat().st_mtime_ns == stamp

    forced = export_dataset(root, ExportConfig(heldout_fraction=0.2), force=True)
    assert forced.splits == first.splits
    assert parquet.stat().st_mtime_ns != stamp

    other = export_dataset(root, ExportConfig(heldout_fraction=0.2, seed=99))
    assert other.fingerprint != first.fingerprint and other.seed == 99


def test_changed_inputs_redo_the_export(run_folder):
    root = run_folder.write()
    first = export_dataset(root, ExportConfig(heldout_fraction=0.0))
    kept = root / "filtered" / "kept.jsonl"
    lines = kept.read_text("utf-8").splitlines(keepends=True)
    kept.write_text("".join(lines[:-1]), encoding="utf-8")
    second = export_dataset(root, ExportConfig(heldout_fraction=0.0))
    assert second.input.kept_verdicts == first.input.kept_verdicts - 1
    assert second.splits["stage1"].rows == first.splits["stage1"].rows - 1


def test_interrupted_export_keeps_the_previous_dataset(run_folder, monkeypatch):
    root = run_folder.write()
    before = export_dataset(root, ExportConfig(heldout_fraction=0.0))
    rows_before = _rows(root, "stage1")

    calls = {"n": 0}
    original = writers.SplitWriter.write

    def crash_after_three(self, row, tools_json):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        original(self, row, tools_json)

    monkeypatch.setattr(writers.SplitWriter, "write", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        export_dataset(root, ExportConfig(heldout_fraction=0.0, seed=5))
    monkeypatch.undo()

    assert _rows(root, "stage1") == rows_before
    assert read_manifest(root) == before
    assert not (root / ".dataset.partial").exists()
    assert not Workspace(root).stage_done("export"), "the old marker no longer vouches"
    again = export_dataset(root, ExportConfig(heldout_fraction=0.0, seed=5))
    assert again.splits["stage1"].rows == before.splits["stage1"].rows


def test_duplicate_episode_lines_are_exported_once(run_folder):
    root = run_folder.write()
    shard = root / "episodes" / "shard-000.jsonl"
    first_line = shard.read_text("utf-8").splitlines(keepends=True)[0]
    (root / "episodes" / "shard-009.jsonl").write_text(first_line, encoding="utf-8")
    manifest = export_dataset(root, ExportConfig(heldout_fraction=0.0))
    assert manifest.input.duplicate_episodes == 1
    ids = [r.episode_id for r in _rows(root, "stage1")]
    assert len(ids) == len(set(ids)) == manifest.input.rows


def test_episode_without_assistant_turns_is_left_out(run_folder):
    from agentscaler.records import Message

    episode = run_folder.episodes[0]
    run_folder.episodes[0] = episode.model_copy(
        update={"messages": (Message(role="user", content="hello?"),)}
    )
    root = run_folder.write()
    manifest = export_dataset(root, ExportConfig(heldout_fraction=0.0))
    assert manifest.input.without_assistant == 1
    assert episode.id not in {r.episode_id for r in _rows(root, "stage1")}


def test_unknown_stage2_keyword_names_available_domains(run_folder):
    root = run_folder.write()
    with pytest.raises(ConfigError) as info:
        export_dataset(root, ExportConfig(stage2_domains=("insurance",)))
    message = str(info.value)
    assert "insurance" in message and "d0002-flight (flight booking)" in message
    assert not (root / "dataset").exists()


def test_missing_world_tools_is_a_clear_error(run_folder):
    root = run_folder.write()
    (root / "worlds" / "d0003-hotel" / "tools.json").unlink()
    with pytest.raises(RunFolderError, match=r"d0003-hotel[/\\]tools\.json is missing"):
        export_dataset(root)
    assert not (root / ".dataset.partial").exists()


def test_kept_verdict_without_episode_is_a_clear_error(run_folder):
    root = run_folder.write()
    shard = root / "episodes" / "shard-000.jsonl"
    lines = shard.read_text("utf-8").splitlines(keepends=True)
    lost = json.loads(lines[0])["id"]
    shard.write_text("".join(lines[1:]), encoding="utf-8")
    with pytest.raises(RunFolderError, match=f"not in .*episodes.*{lost}"):
        export_dataset(root)
    assert not (root / "dataset").exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_corrupt_episode_line_names_file_and_line(run_folder, monkeypatch, workers):
    from agentscaler.export import build

    monkeypatch.setattr(build, "PARALLEL_MIN_EPISODES", 0)
    root = run_folder.write()
    shard = root / "episodes" / "shard-000.jsonl"
    lines = shard.read_text("utf-8").splitlines(keepends=True)
    broken = json.loads(lines[1])
    broken["messages"][1]["role"] = "narrator"
    lines[1] = json.dumps(broken) + "\n"
    shard.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(CorruptRecordError, match=r"shard-000\.jsonl:2: invalid Episode.*role"):
        export_dataset(root, ExportConfig(workers=workers))
    assert not (root / "dataset").exists() and not (root / ".dataset.partial").exists()


def test_missing_filter_output_says_which_command_to_run(run_folder):
    root = run_folder.write()
    (root / "filtered" / "kept.jsonl").unlink()
    with pytest.raises(RunFolderError, match="agentscaler filter"):
        export_dataset(root)


def test_episode_of_an_unknown_domain_is_a_clear_error(run_folder):
    run_folder.domains = run_folder.domains[:2]
    root = run_folder.write()
    with pytest.raises(RunFolderError, match=r"domain 'd0003-hotel', which is not in .*domains"):
        export_dataset(root)


def test_rejected_verdict_in_the_kept_file_is_refused(run_folder):
    root = run_folder.write()
    kept = root / "filtered" / "kept.jsonl"
    rejected = (root / "filtered" / "rejected.jsonl").read_text("utf-8").splitlines()[0]
    kept.write_text(kept.read_text("utf-8") + rejected + "\n", encoding="utf-8")
    with pytest.raises(CorruptRecordError, match="kept=false"):
        export_dataset(root)


def test_parallel_export_writes_the_dataset_of_one_process(run_folder, monkeypatch):
    from agentscaler.export import build

    run_folder = type(run_folder)(run_folder.root.with_name("big")).populate(6, trials=2)
    root = run_folder.write(shards=3)
    # The same episode in two files: the later copy must be left out by the parallel path too.
    first_line = (root / "episodes" / "shard-000.jsonl").read_text("utf-8").splitlines()[0]
    with (root / "episodes" / "shard-002.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(first_line + "\n")
    config = ExportConfig(stage2_domains=("hotel",), heldout_fraction=0.3, seed=3)

    def files(folder):
        return {
            str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix != ".parquet" and p.name != "manifest.json"
        }

    serial = export_dataset(root, config.model_copy(update={"workers": 1}), force=True)
    serial_files = files(root / "dataset")
    serial_rows = {s: _rows(root, s) for s in ("stage1", "stage2", "heldout")}

    calls = []
    write_parts = build._Exporter._write_parts
    monkeypatch.setattr(build, "PARALLEL_MIN_EPISODES", 0)
    monkeypatch.setattr(
        build._Exporter, "_write_parts", lambda *a: calls.append(a[3]) or write_parts(*a)
    )
    progress = []
    parallel = export_dataset(
        root, config.model_copy(update={"workers": 2}), force=True, advance=progress.append
    )

    assert calls == [2], "the export ran in two worker processes"
    assert sum(progress) == count_kept(root), "progress counts every kept episode once"
    assert serial.input.duplicate_episodes == parallel.input.duplicate_episodes == 1
    assert serial.splits["stage2"].rows > 0 and serial.splits["heldout"].rows > 0
    assert parallel == serial
    assert files(root / "dataset") == serial_files
    assert {s: _rows(root, s) for s in serial_rows} == serial_rows
    assert not (root / ".dataset.partial").exists()

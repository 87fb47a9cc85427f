"""Reading episode shards: interrupted tails, broken lines, foreign schema versions."""

from __future__ import annotations

import json
import logging

import pytest

from agentscaler.episode_lines import iter_episodes
from agentscaler.errors import CorruptRecordError, SchemaVersionError
from agentscaler.jsonl import dumps_line


def _write(path, episodes, tail: str = ""):
    path.write_text("".join(dumps_line(e) for e in episodes) + tail, encoding="utf-8")


def test_reads_every_complete_line(run_folder, tmp_path):
    episodes = run_folder.episodes[:3]
    path = tmp_path / "shard.jsonl"
    _write(path, episodes[:2], "\n" + dumps_line(episodes[2]))
    assert [(n, e) for n, e in iter_episodes(path)] == [
        (1, episodes[0]),
        (2, episodes[1]),
        (4, episodes[2]),
    ]


def test_interrupted_last_line_is_skipped_with_a_warning(run_folder, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("agentscaler"), "propagate", True)  # the CLI may unset it
    path = tmp_path / "shard.jsonl"
    _write(path, run_folder.episodes[:2], dumps_line(run_folder.episodes[2])[:40])
    with caplog.at_level(logging.WARNING, logger="agentscaler"):
        read = [e.id for _, e in iter_episodes(path)]
    assert read == [e.id for e in run_folder.episodes[:2]]
    assert "incomplete last line" in caplog.text and "shard.jsonl:3" in caplog.text


def test_broken_json_line_names_file_and_line(run_folder, tmp_path):
    path = tmp_path / "shard.jsonl"
    _write(path, run_folder.episodes[:1], '{"id": "x", \n')
    with pytest.raises(CorruptRecordError, match=r"shard\.jsonl:2: not valid JSON"):
        list(iter_episodes(path))


def test_foreign_schema_version_is_refused(run_folder, tmp_path):
    data = run_folder.episodes[0].to_json_dict() | {"schema_version": 99}
    path = tmp_path / "shard.jsonl"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    with pytest.raises(SchemaVersionError, match=r"shard\.jsonl:1.*schema_version 99"):
        list(iter_episodes(path))


def test_version_1_episodes_and_verdicts_are_still_read(run_folder, tmp_path):
    from agentscaler.jsonl import read_records
    from agentscaler.records import Episode, Verdict

    old = run_folder.episodes[0].to_json_dict() | {"schema_version": 1}
    path = tmp_path / "shard.jsonl"
    path.write_text(json.dumps(old) + "\n", encoding="utf-8")
    [(_, episode)] = list(iter_episodes(path))
    assert episode.schema_version == 1 and episode.id == run_folder.episodes[0].id
    assert Episode.SCHEMA_VERSION == 3
    verdict = Verdict(episode_id="e", task_id="t", domain_id="d", kept=True).to_json_dict()
    (tmp_path / "kept.jsonl").write_text(json.dumps(verdict | {"schema_version": 1}) + "\n")
    assert read_records(tmp_path / "kept.jsonl", Verdict)[0].schema_version == 1
    (tmp_path / "kept.jsonl").write_text(json.dumps(verdict | {"schema_version": 5}) + "\n")
    with pytest.raises(SchemaVersionError, match="reads version 1 or 2 or 3 or 4"):
        read_records(tmp_path / "kept.jsonl", Verdict)

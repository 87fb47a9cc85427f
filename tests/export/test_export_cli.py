"""`agentscaler export` on a run folder."""

from __future__ import annotations

import json

import pytest

from agentscaler.errors import ConfigError


def test_export_command_writes_dataset_and_prints_summary(cli, run_folder):
    root = run_folder.write()
    result = cli(
        "export",
        root,
        "--stage2-domains",
        "flight, 酒店",
        "--heldout-fraction",
        "0.25",
        "--seed",
        "4",
        "--formats",
        "parquet,sharegpt",
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((root / "dataset" / "manifest.json").read_text("utf-8"))
    assert manifest["stage2_domains"] == ["d0002-flight", "d0003-hotel"]
    assert manifest["seed"] == 4 and manifest["heldout_fraction"] == 0.25
    assert (root / "dataset" / "stage1" / "data.parquet").exists()
    assert not (root / "dataset" / "stage1" / "data.jsonl").exists()
    assert (root / "dataset" / "sharegpt" / "stage2.jsonl").exists()
    for split in ("stage1", "stage2", "heldout"):
        assert split in result.output
    assert str(manifest["splits"]["stage1"]["rows"]) in result.output
    marker = json.loads((root / ".stages" / "export.json").read_text("utf-8"))
    assert marker["summary"]["stage1"] == manifest["splits"]["stage1"]["rows"]


@pytest.mark.parametrize(
    ("option", "value", "match"),
    [
        ("--formats", "parquet,csv", "--formats"),
        ("--stage2-domains", "insurance", "insurance"),
        ("--heldout-fraction", "1.5", "--heldout-fraction"),
    ],
)
def test_export_command_rejects_bad_options(cli, run_folder, option, value, match):
    root = run_folder.write()
    with pytest.raises(ConfigError, match=match):
        cli("export", root, option, value)

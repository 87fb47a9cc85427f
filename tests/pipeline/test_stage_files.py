"""Which files a stage owns (what its completion marker hashes): patterns with ``*`` and ``**``,
hidden, temporary and partial files left out, symlinked files and folders as pathlib sees them."""

from __future__ import annotations

from agentscaler.markers import output_hashes, stage_files


def test_stage_files_follow_the_patterns_and_leave_out_hidden_and_temporary_files(tmp_path):
    for relative in [
        "worlds/a/world.json",
        "worlds/a-b/world.json",
        "worlds/a/tools.py.tmp",
        "worlds/.x/world.json",
        "worlds/a/notes.txt",
        "dataset/top.json",
        "dataset/stage1/x.parquet",
        "dataset/stage1/.tmp/y.parquet",
        "dataset/stage2/deep/z.jsonl",
        "dataset/.partial.json",
        "dataset/p.partial",
        "states/1.sqlite",
        "states/2.sqlite.tmp",
        "states/3.db",
    ]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(relative)
    (tmp_path / "worlds/b/world.json").mkdir(parents=True)  # a folder of that name is no file
    (tmp_path / "worlds/linked").symlink_to(tmp_path / "worlds/a")  # a world folder elsewhere
    (tmp_path / "dataset/loop").symlink_to(tmp_path / "dataset")  # ** does not follow it
    (tmp_path / "worlds/a/seed.sqlite").symlink_to(tmp_path / "nowhere")  # a dangling link

    def names(stage):
        return [str(p.relative_to(tmp_path)) for p in stage_files(tmp_path, stage)]

    # sorted by path parts: "a" before "a-b" (a string sort would put "a-b/" first)
    assert names("worlds") == [
        "worlds/a/world.json",
        "worlds/a-b/world.json",
        "worlds/linked/world.json",
    ]
    assert names("export") == [
        "dataset/stage1/x.parquet",
        "dataset/stage2/deep/z.jsonl",
        "dataset/top.json",
    ]
    assert names("tasks") == ["states/1.sqlite"]
    hashes = output_hashes(tmp_path, "worlds")
    assert list(hashes) == names("worlds")
    assert hashes["worlds/a/world.json"] == hashes["worlds/linked/world.json"]
    assert hashes["worlds/a/world.json"] != hashes["worlds/a-b/world.json"]

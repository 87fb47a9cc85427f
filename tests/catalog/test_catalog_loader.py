"""Loading: determinism, caching, laziness and clear errors on malformed vertical files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from agentscaler.catalog import (
    builtin_tools,
    load_vertical,
    load_verticals,
    vertical_tools,
    verticals,
)
from agentscaler.errors import AgentscalerError, CatalogError

GOOD = textwrap.dedent(
    """\
    slug: {slug}
    title: Notes
    summary: Personal notes.
    fields:
      note_id: {{type: string, pattern: "^NTE-[0-9]{{6}}$", description: "Note id, e.g. NTE-000001."}}
      limit: {{type: integer, minimum: 1, default: 10, description: Maximum number of notes.}}
    entities:
      note:
        note_id:
        text: {{type: string, description: Text of the note.}}
        words: {{type: integer, minimum: 0, description: Number of words.}}
    tools:
      - name: get_note
        kind: read
        description: Get one note by its id, with its text and word count.
        required: [{param}]
        returns: note
      - name: list_notes
        kind: read
        description: List notes with at least a number of words, newest first.
        optional: [min_words, limit]
        returns: {{list: note}}
    """
)


def write(tmp_path, *, slug="notes", param="note_id", name="notes.yaml", text=None):
    path = tmp_path / name
    path.write_text(text if text is not None else GOOD.format(slug=slug, param=param))
    return path


def test_builtin_tools_is_deterministic_and_returns_fresh_lists():
    first, second = builtin_tools(), builtin_tools()
    assert [t.id for t in first] == [t.id for t in second]
    first.clear()
    assert builtin_tools() == second


def test_vertical_tools_partition_the_catalog():
    tools = builtin_tools()
    parts = [t for slug in verticals() for t in vertical_tools(slug)]
    assert [t.id for t in parts] == [t.id for t in tools]
    with pytest.raises(CatalogError, match="retail_orders"):
        vertical_tools("retail_order")


def test_importing_the_package_reads_nothing_and_other_processes_agree():
    code = (
        "import agentscaler.catalog as c, agentscaler.catalog.loader as l;"
        "assert l._catalog.cache_info().currsize == 0;"
        "print(' '.join(t.id for t in c.builtin_tools()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    )
    assert done.stdout.split() == [t.id for t in builtin_tools()]


def test_a_vertical_file_expands_with_derived_range_filters(tmp_path):
    path = write(tmp_path)
    get_note, list_notes = load_vertical(path, start_index=7)
    assert get_note.parameters["required"] == ["note_id"]
    assert get_note.provenance[0].index == 7
    assert list_notes.provenance[0].source == str(path)
    assert list_notes.provenance[0].pointer == f"{path}#list_notes"
    min_words = list_notes.parameters["properties"]["min_words"]
    assert min_words["type"] == "integer" and "at least" in min_words["description"]
    assert set(list_notes.returns["properties"]) == {"notes", "count"}
    assert list_notes.tags == ("vertical:notes", "kind:read", "entity:note")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"param": "note_key"}, r"notes.yaml#get_note: unknown field 'note_key'"),
        ({"param": "max_text"}, r"range filter 'max_text' needs a numeric or date field 'text'"),
        ({"param": "note_id, note_id"}, r"parameters listed twice: note_id"),
        ({"slug": "memo"}, r"slug 'memo' differs from the file name"),
        ({"text": "slug: [unclosed\n"}, r"notes.yaml:2:1: not valid YAML"),
        ({"text": "slug: notes\ntitle: x\n"}, r"does not follow the vertical file format"),
    ],
)
def test_malformed_vertical_files_fail_with_the_place_named(tmp_path, kwargs, expected):
    with pytest.raises(CatalogError, match=expected) as info:
        load_vertical(write(tmp_path, **kwargs))
    assert isinstance(info.value, AgentscalerError)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("returns: note\n", "returns: memo\n", r"names unknown entity 'memo'"),
        ("returns: note\n", "returns: {}\n", r"at least one of 'record', 'list' or 'fields'"),
        ("kind: read\n", "kind: lookup\n", r"kind"),
        ("    words:", "    count: {type: integer, descripton: x}\n    words:", r"'descripton'"),
        ("    words:", "    mode: {type: string, enum: [on, off]}\n    words:", r"quote values"),
        ("  - name: list_notes\n", "  - name: get_note\n", r"tools defined twice: get_note"),
    ],
)
def test_format_mistakes_are_reported(tmp_path, old, new, expected):
    text = GOOD.format(slug="notes", param="note_id")
    assert old in text
    with pytest.raises(CatalogError, match=expected):
        load_vertical(write(tmp_path, text=text.replace(old, new, 1)))


def test_a_parameter_without_description_is_refused(tmp_path):
    text = GOOD.format(slug="notes", param="note_id")
    text = text.replace(", description: Maximum number of notes.", "")
    with pytest.raises(CatalogError, match=r"list_notes: parameter 'limit' has no description"):
        load_vertical(write(tmp_path, text=text))


def test_tool_names_must_be_unique_across_files(tmp_path):
    first = write(tmp_path)
    (tmp_path / "b").mkdir()
    second = write(tmp_path / "b")
    with pytest.raises(CatalogError, match=r"get_note: tool name already used in"):
        load_verticals([first, second])


def test_missing_vertical_file_is_a_catalog_error(tmp_path):
    with pytest.raises(CatalogError, match="cannot read"):
        load_vertical(tmp_path / "absent.yaml")

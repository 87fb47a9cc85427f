"""Writing dataset rows as Parquet, JSON Lines and ShareGPT, and reading them back.

Column representation (the same in Parquet and JSON Lines)::

    schema_version int64, id, task_id, episode_id, domain, domain_id, stage: string
    messages: list<struct<role, content, tool_calls: list<struct<id, type,
              function: struct<name, arguments>>>, tool_call_id, name, reasoning_content>>
    tools:    string   -- JSON text of the OpenAI ``tools`` list
    train:    list<bool>  -- one flag per message
    num_tokens, dropped_tools, dropped_messages: int64  -- length in tokens, what fitting removed
    offline:  bool  -- an offline policy (oracle agent, scripted user) played a side

One schema for both files. Integers are int64 because that is what JSON readers infer. JSON has
no types for nulls, though: a message field that is null in every line (``reasoning_content`` of
offline episodes, say) is read as type ``null`` by ``datasets``' JSON loader, which then cannot
be concatenated with the Parquet split. Load JSON Lines with the schema,
``load_dataset("json", data_files=..., features=dataset_features())``, and the two load alike.

Why ``tools`` is JSON text. Tool parameter schemas differ from world to world. As nested Arrow
data, every distinct parameter name becomes a field of one union struct (thousands of fields for
a real tool pool), and every tool reads back with the others' fields filled with nulls: a tool
``a(x)`` stored beside ``b(y)`` comes back as ``{"properties": {"x": {...}, "y": null}}``, which
a chat template then prints into the prompt. Two exports with different tools also get
incompatible schemas. As text, the column is one string type whatever the tools are, and it
round-trips exactly (key order, numbers and non-ASCII text are kept). TRL 1.x's ``SFTTrainer``
reads it as is: its tokenisation step does ``json.loads(tools)`` when the ``tools`` value of an
example is a string and passes the list to ``apply_chat_template(..., tools=...)``, so the
Parquet file trains without any conversion (tested). ``messages`` keeps a fixed nested type:
every message field is a column, absent fields are nulls, and transformers drops null keys
before rendering a chat.

Messages' tool-call ``arguments`` stay JSON strings, as in the OpenAI API.

Load a split with ``datasets.load_dataset("parquet", data_files="DIR/stage1/*.parquet")`` or
``Dataset.from_parquet("DIR/stage1/data.parquet")`` (``data_dir=`` would also pick up the JSON
Lines file beside it).

ShareGPT files for LLaMA-Factory are made from the same rows (:mod:`agentscaler.export.sharegpt`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from agentscaler.errors import CorruptRecordError
from agentscaler.jsonl import iter_json_lines
from agentscaler.records.dataset import DatasetRow

PARQUET_NAME = "data.parquet"
JSONL_NAME = "data.jsonl"
ARROW_PART_NAME = "rows.arrows"


def row_schema():
    """The Arrow schema of dataset rows (see the module docstring)."""
    import pyarrow as pa

    function = pa.struct([("name", pa.string()), ("arguments", pa.string())])
    call = pa.struct([("id", pa.string()), ("type", pa.string()), ("function", function)])
    message = pa.struct(
        [
            ("role", pa.string()),
            ("content", pa.string()),
            ("tool_calls", pa.list_(call)),
            ("tool_call_id", pa.string()),
            ("name", pa.string()),
            ("reasoning_content", pa.string()),
        ]
    )
    return pa.schema(
        [
            ("schema_version", pa.int64()),
            ("id", pa.string()),
            ("task_id", pa.string()),
            ("episode_id", pa.string()),
            ("domain", pa.string()),
            ("domain_id", pa.string()),
            ("stage", pa.string()),
            ("messages", pa.list_(message)),
            ("tools", pa.string()),
            ("train", pa.list_(pa.bool_())),
            ("num_tokens", pa.int64()),
            ("dropped_tools", pa.int64()),
            ("dropped_messages", pa.int64()),
            ("offline", pa.bool_()),
        ]
    )


def dataset_features():
    """The ``datasets.Features`` of a split, for loading JSON Lines as typed as the Parquet file."""
    from datasets import Features

    return Features.from_arrow_schema(row_schema())


COLUMN_NOTES = {
    "messages": "list of OpenAI messages; every field present, null when absent; "
    "tool-call arguments are JSON strings",
    "tools": "JSON text of the OpenAI tools list (TRL's SFTTrainer parses it)",
    "train": "one bool per message: true for assistant messages",
    "num_tokens": "Qwen3 tokens of the row rendered with Qwen3's official template (null: not "
    "measured)",
    "dropped_tools": "tools of the world left out to fit the token budget",
    "dropped_messages": "messages cut from the end to fit the token budget",
    "offline": "true when an offline policy (oracle agent, scripted user) played a side of the "
    "episode: templated dialogue, not a model's",
}
_INT_FIELDS = ("num_tokens", "dropped_tools", "dropped_messages")


def row_columns(row: DatasetRow, tools_json: str | None = None) -> dict[str, Any]:
    """The row as a flat dict of columns (``tools`` as JSON text)."""
    return {
        "schema_version": row.schema_version,
        "id": row.id,
        "task_id": row.task_id,
        "episode_id": row.episode_id,
        "domain": row.domain,
        "domain_id": row.domain_id,
        "stage": row.stage,
        "messages": [m.model_dump(mode="json") for m in row.messages],
        "tools": tools_json if tools_json is not None else row.tools_json(),
        "train": list(row.train),
        **{f: getattr(row, f) for f in _INT_FIELDS},
        "offline": row.offline,
    }


def row_from_columns(data: dict[str, Any], *, where: str = "") -> DatasetRow:
    """Inverse of :func:`row_columns` (also accepts ``tools`` as a list)."""
    from pydantic import ValidationError

    try:
        return DatasetRow.from_json_dict(data, where=where)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "<row>"
        raise CorruptRecordError(
            f"{where}: invalid dataset row, field {field!r}: {first.get('msg')}. "
            "Re-run `agentscaler export` to rewrite the dataset."
        ) from exc


def read_rows(path: Path) -> Iterator[DatasetRow]:
    """Read the rows of a split file written by this module (``.parquet`` or ``.jsonl``)."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(path)
        except Exception as exc:
            raise CorruptRecordError(
                f"{path}: not a readable Parquet file ({exc}). Re-run `agentscaler export`."
            ) from exc
        index = 0
        for batch in parquet.iter_batches():
            for data in batch.to_pylist():
                yield row_from_columns(data, where=f"{path} row {index}")
                index += 1
    else:
        for number, data in iter_json_lines(path):
            yield row_from_columns(data, where=f"{path}:{number}")


def rows_table(rows: list[DatasetRow], tools_json: list[str], *, dictionary_tools: bool = False):
    """An Arrow table of ``rows`` (schema :func:`row_schema`), built column by column.

    ``dictionary_tools`` leaves the ``tools`` column dictionary-encoded (each domain's text once),
    as export parts store it; casting the table to :func:`row_schema` expands it.
    """
    import pyarrow as pa

    message_offsets, call_offsets, flag_offsets = [0], [0], [0]
    roles, contents, call_ids, names, reasonings, no_calls = [], [], [], [], [], []
    ids, types, functions, arguments, flags = [], [], [], [], []
    for row in rows:
        for message in row.messages:
            roles.append(message.role)
            contents.append(message.content)
            call_ids.append(message.tool_call_id)
            names.append(message.name)
            reasonings.append(message.reasoning_content)
            no_calls.append(message.tool_calls is None)
            for call in message.tool_calls or ():
                ids.append(call.id)
                types.append(call.type)
                functions.append(call.function.name)
                arguments.append(call.function.arguments)
            call_offsets.append(len(ids))
        message_offsets.append(len(roles))
        flags.extend(row.train)
        flag_offsets.append(len(flags))

    def strings(values: list) -> Any:
        return pa.array(values, pa.string())

    def offsets(values: list[int]) -> Any:
        return pa.array(values, pa.int32())

    function = pa.StructArray.from_arrays(
        [strings(functions), strings(arguments)], names=["name", "arguments"]
    )
    call = pa.StructArray.from_arrays(
        [strings(ids), strings(types), function], names=["id", "type", "function"]
    )
    tool_calls = pa.ListArray.from_arrays(offsets(call_offsets), call, mask=pa.array(no_calls))
    message = pa.StructArray.from_arrays(
        [strings(roles), strings(contents), tool_calls, strings(call_ids), strings(names),
         strings(reasonings)],
        names=["role", "content", "tool_calls", "tool_call_id", "name", "reasoning_content"],
    )  # fmt: skip
    columns = [
        pa.array([r.schema_version for r in rows], pa.int32()),
        *(strings([getattr(r, f) for r in rows]) for f in _STRING_FIELDS),
        pa.ListArray.from_arrays(offsets(message_offsets), message),
        _repeated_strings(tools_json),
        pa.ListArray.from_arrays(offsets(flag_offsets), pa.array(flags, pa.bool_())),
        *(pa.array([getattr(r, f) for r in rows], pa.int64()) for f in _INT_FIELDS),
        pa.array([r.offline for r in rows], pa.bool_()),
    ]
    table = pa.Table.from_arrays(columns, schema=_dictionary_tools(row_schema()))
    return table if dictionary_tools else table.cast(row_schema())


def _dictionary_tools(schema: Any) -> Any:
    import pyarrow as pa

    index = schema.get_field_index("tools")
    return schema.set(index, pa.field("tools", pa.dictionary(pa.int32(), pa.string())))


def _repeated_strings(values: list[str]) -> Any:
    """A dictionary array of few distinct, long values (a domain's tools)."""
    import pyarrow as pa

    index: dict[str, int] = {}
    positions = [index.setdefault(value, len(index)) for value in values]
    dictionary = pa.array(list(index), pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(positions, pa.int32()), dictionary)


_COMPACT = (",", ":")
_STRING_FIELDS = ("id", "task_id", "episode_id", "domain", "domain_id", "stage")


@cache
def _messages_adapter() -> Any:
    from pydantic import TypeAdapter

    from agentscaler.records import Message

    return TypeAdapter(tuple[Message, ...])


def row_line(row: DatasetRow, tools_literal: bytes) -> bytes:
    """One JSON Lines line of ``row`` as UTF-8; ``tools_literal`` is ``json.dumps(tools_json)``.

    Equal to ``json.dumps(row_columns(row), ensure_ascii=False, separators=(",", ":"))``, but
    the messages are serialised by pydantic in one call (straight to UTF-8) and the (long,
    shared) tools text is escaped and encoded once per domain rather than once per row.
    """
    head = {"schema_version": row.schema_version, **{f: getattr(row, f) for f in _STRING_FIELDS}}
    head_text = json.dumps(head, ensure_ascii=False, separators=_COMPACT)
    train = json.dumps(list(row.train), separators=_COMPACT)
    tail = json.dumps(
        {**{f: getattr(row, f) for f in _INT_FIELDS}, "offline": row.offline},
        separators=_COMPACT,
    )
    messages = _messages_adapter().dump_json(row.messages)
    return b"".join(
        (
            head_text[:-1].encode("utf-8"),
            b',"messages":',
            messages,
            b',"tools":',
            tools_literal,
            f',"train":{train},{tail[1:]}\n'.encode("ascii"),
        )
    )


class SplitWriter:
    """Write the rows of one split to ``folder`` in Parquet and/or JSON Lines.

    Rows are buffered and written in row groups; ``close`` finishes the files (an empty split
    still gets valid, empty files with the full schema). Rows of one domain share their tools'
    JSON text, which is escaped for JSON Lines once per distinct text. ``arrow_part`` writes the
    Parquet rows as an uncompressed Arrow stream (``rows.arrows``, tools dictionary-encoded)
    instead, for :func:`agentscaler.export.parts.merge_parts`.
    """

    def __init__(
        self,
        folder: Path,
        *,
        parquet: bool = True,
        jsonl: bool = True,
        row_group_size: int = 1000,
        compression: str = "zstd",
        arrow_part: bool = False,
    ) -> None:
        self.folder = Path(folder)
        self.arrow_part = arrow_part
        name = ARROW_PART_NAME if arrow_part else PARQUET_NAME
        self.parquet_path = self.folder / name if parquet else None
        self.jsonl_path = self.folder / JSONL_NAME if jsonl else None
        self.row_group_size = row_group_size
        self.compression = None if compression == "none" else compression
        self.rows = 0
        self._buffer: list[DatasetRow] = []
        self._buffer_tools: list[str] = []
        self._literals: dict[str, bytes] = {}
        self._parquet: Any = None
        self._jsonl: Any = None

    def __enter__(self) -> SplitWriter:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.parquet_path is not None and self.arrow_part:
            import pyarrow as pa

            schema = _dictionary_tools(row_schema())
            self._parquet = pa.ipc.new_stream(str(self.parquet_path), schema)
        elif self.parquet_path is not None:
            import pyarrow.parquet as pq

            self._parquet = pq.ParquetWriter(
                self.parquet_path, row_schema(), compression=self.compression
            )
        if self.jsonl_path is not None:
            self._jsonl = self.jsonl_path.open("wb")
        return self

    def write(self, row: DatasetRow, tools_json: str) -> None:
        """Append ``row``; ``tools_json`` is its tools as JSON text (shared by a domain's rows)."""
        if self._jsonl is not None:
            literal = self._literals.get(tools_json)
            if literal is None:
                text = json.dumps(tools_json, ensure_ascii=False)
                literal = self._literals[tools_json] = text.encode("utf-8")
            self._jsonl.write(row_line(row, literal))
        if self._parquet is not None:
            self._buffer.append(row)
            self._buffer_tools.append(tools_json)
            if len(self._buffer) >= self.row_group_size:
                self._flush()
        self.rows += 1

    def _flush(self) -> None:
        if self._buffer:
            table = rows_table(self._buffer, self._buffer_tools, dictionary_tools=self.arrow_part)
            self._parquet.write_table(table)
            self._buffer.clear()
            self._buffer_tools.clear()

    def __exit__(self, *exc: object) -> None:
        if self._parquet is not None:
            self._flush()
            self._parquet.close()
            self._parquet = None
        if self._jsonl is not None:
            self._jsonl.close()
            self._jsonl = None

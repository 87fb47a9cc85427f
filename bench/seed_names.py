"""Names, titles and short labels of seeded rows that are filler words.

Over the seeded state of every built-in world (or of the worlds of a run folder), every TEXT value
of a column that is not an enum, an id, a code, a date, an e-mail, a URL, a phone or a free text
(reasons, notes and messages are counted by ``bench/seed_quality.py``) is a *name value*; it is
*filler* when every word of it is a word of Faker's lorem list and it holds no digit ("Either
True" as a parking facility's name, "yard another" as a car model, "doctor future citizen" as a
time zone). Prints the share of filler among name values, per column kind, with examples.

It also counts *placeholders* among the TEXT values of every column that is not an enum or a
reference to a seeded table: a value that is the column's own words and a number ("League 9"
for ``league``, "Firstname 10" for ``firstname``, "User 36" for a ``user_id`` of no table),
which says nothing a real service would hold.

And it counts the name values of columns under a ``pattern`` (a channel's
``^[a-z0-9][a-z0-9_-]{0,79}$``, a document's ``\\.(pdf|jpg)$``) that read as drawn from the pattern
alone: a run of six or more letters and digits mixed (``f4_u2ebxf6lnr93ga0k9264i``).

    python bench/seed_names.py [--run RUN] [--rows 40]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

from faker.providers.lorem.en_US import Provider

from agentscaler.catalog import vertical_tools, verticals
from agentscaler.naming import split_identifier
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.runtime.loader import load_world
from agentscaler.worlds.seeding.seed import seed_rows
from agentscaler.worlds.seeding.texts import text_kind
from agentscaler.worlds.seeding.worded import names_words

LOREM = frozenset(Provider.word_list)
DRAWN = re.compile(r"(?=[a-z0-9]*[a-z])(?=[a-z0-9]*[0-9])[a-z0-9]{6,}", re.IGNORECASE)
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
CODED = {"id", "email", "url", "phone", "date", "datetime", "time", "uuid", "ip", "token", "code"}
CODED |= {"currency", "country", "status", "text", "zip"}


def filler(value: str) -> bool:
    words = WORD.findall(value)
    return (
        bool(words)
        and not any(c.isdigit() for c in value)
        and all(w.lower() in LOREM for w in words)
    )


def placeholder(value: str, column: str) -> bool:
    """Whether ``value`` is ``column``'s own words and a number ("League 9" for ``league``)."""
    head, _, number = value.rpartition(" ")
    if not number.isdigit() or not head:
        return False
    own = [w for w in split_identifier(column) if w not in ("id", "name")] or ["item"]
    return head.lower() == " ".join(own)


def _worlds(run: Path | None, rows: int):
    if run is None:
        for vertical in verticals():
            world = compile_world(f"v-{vertical}", vertical, vertical_tools(vertical))
            yield vertical, world, seed_rows(world.world, 7, rows, world.spec)
        return
    for folder in sorted((run / "worlds").iterdir()):
        if (folder / "world.json").exists():
            world = load_world(folder)
            yield folder.name, world, seed_rows(world.world, 7, rows, world.load_spec())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--run", type=Path, help="Run folder whose worlds to read (default: built-in)."
    )
    parser.add_argument("--rows", type=int, default=40, help="Rows seeded per table.")
    parser.add_argument("--examples", type=int, default=12, help="Columns shown.")
    args = parser.parse_args()
    values = filled = 0
    columns: Counter[str] = Counter()
    noisy_columns: Counter[str] = Counter()
    examples: list[str] = []
    held = held_placeholders = 0
    shaped = shaped_drawn = 0
    drawn_examples: list[str] = []
    placeholder_examples: Counter[str] = Counter()
    for name, world, seeded in _worlds(args.run, args.rows):
        for table in world.world.tables:
            for column in table.columns:
                if column.type == "TEXT" and not column.enum and not column.references:
                    found = [r.get(column.name) for r in seeded.get(table.name, ())]
                    found = [v for v in found if isinstance(v, str) and v.strip()]
                    marked = [v for v in found if placeholder(v, column.name)]
                    held += len(found)
                    held_placeholders += len(marked)
                    if marked:
                        placeholder_examples[f"{column.name}: {marked[0]!r}"] += len(marked)
                if column.type != "TEXT" or column.enum or column.semantic in CODED:
                    continue
                if text_kind(column.name) is not None or column.references:
                    continue
                found = [r.get(column.name) for r in seeded.get(table.name, ())]
                found = [v for v in found if isinstance(v, str) and v.strip()]
                if not found:
                    continue
                pattern = (column.value_schema or {}).get("pattern")
                if (
                    isinstance(pattern, str)
                    and "a-z" in pattern  # letters a name may be written in, not a code's form
                    and names_words(column.name)
                    and not {"color", "colour", "hex"} & set(split_identifier(column.name))
                ):
                    drawn = [v for v in found if DRAWN.search(v)]
                    shaped += len(found)
                    shaped_drawn += len(drawn)
                    if drawn and len(drawn_examples) < args.examples:
                        drawn_examples.append(f"{name} {table.name}.{column.name}: {drawn[:2]}")
                bad = [v for v in found if filler(v)]
                values += len(found)
                filled += len(bad)
                columns[name] += 1
                if len(bad) * 2 > len(found):
                    noisy_columns[name] += 1
                    if len(examples) < args.examples:
                        examples.append(f"{name} {table.name}.{column.name}: {bad[:2]}")
    source = str(args.run) if args.run else "built-in worlds"
    print(f"name values of seeded rows ({source}, {args.rows} rows per table)")
    print(f"  filler values: {100 * filled / max(1, values):.1f}% ({filled}/{values})   (target 0)")
    print(f"  columns mostly filler: {sum(noisy_columns.values())}/{sum(columns.values())}")
    for example in examples:
        print(f"    {example}")
    share = 100 * held_placeholders / max(1, held)
    print(
        f"  placeholders (a column's own words and a number) among TEXT values: {share:.1f}% "
        f"({held_placeholders}/{held})"
    )
    for example, count in placeholder_examples.most_common(args.examples):
        print(f"    {count:5d}  {example}")
    share = 100 * shaped_drawn / max(1, shaped)
    print(
        f"  name values under a pattern that read as drawn from it: {share:.1f}% "
        f"({shaped_drawn}/{shaped})   (target 0)"
    )
    for example in drawn_examples:
        print(f"    {example}")


if __name__ == "__main__":
    main()

"""Fidelity of imported worlds against BFCL's executable reference classes, round trips and
import / export speed.

Run: ``python bench/fidelity.py [--entries N] [--classes A,B] [--size-mb 7]``.

For every BFCL multi-turn base entry and every class it involves, the class's tool docs
(``multi_turn_func_doc/``) and the entry's ``initial_config`` are imported as a world; the
entry's gold calls for that class run in the world and on an instance of the reference class
loaded with the same config (``reference_code/``, imported by path: the product never imports
it); calls and final states are compared as :mod:`agentscaler.worlds.importing.fidelity` says.
Also: the round trip of every BFCL and ACEBench state, and the time to import a generated JSON
database of ``--size-mb`` and to export its state, next to a baseline measured in the same run
(``json.loads`` + ``json.dumps`` of the same document).
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from agentscaler.canonical import content_hash
from agentscaler.worlds.importing.build import import_world, load_tools, round_trip
from agentscaler.worlds.importing.fidelity import CAUSES, compare, field_paths
from agentscaler.worlds.importing.read import Source
from agentscaler.worlds.importing.replay import Call, export_state

EXTERNAL = Path(__file__).resolve().parents[1].parent / "shared/external"
BFCL = EXTERNAL / "bfcl"
MODULES = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
}


class BfclReference:
    """A BFCL reference class instance loaded with an entry's config."""

    def __init__(self, cls: str, config: dict) -> None:
        sys.path.insert(0, str(BFCL / "reference_code"))
        module = importlib.import_module(
            f"bfcl_eval.eval_checker.multi_turn_eval.func_source_code.{MODULES[cls]}"
        )
        self.instance = getattr(module, cls)()
        self.config = config
        if hasattr(self.instance, "_load_scenario"):  # MathAPI has no state
            self.instance._load_scenario(copy.deepcopy(config))

    def call(self, name: str, arguments: dict) -> tuple[bool, object]:
        try:
            output = getattr(self.instance, name)(**arguments)
        except Exception as exc:  # the reference raises on bad arguments
            return False, {"error": f"{type(exc).__name__}: {exc}"}
        ok = not (isinstance(output, dict) and "error" in output)
        return ok, _plain(output)

    def state(self) -> dict:
        """Public attributes, each under the config key it is loaded from (``engineState`` is
        the attribute ``engine_state``, ``slopeAngle`` the private ``_slopeAngle``); the file
        system's tree as its config writes it (the mapping)."""
        state = {}
        loaded = {_squash(k): k for k in self.config}
        for attribute, value in vars(self.instance).items():
            key = loaded.get(_squash(attribute), attribute)
            if key.startswith("_") or key == "long_context":
                continue
            if key == "root" and hasattr(value, "contents"):
                state[key] = {value.name: _node(value)}
                continue
            state[key] = _plain(value)  # keys as JSON writes them (int keys become text)
        return state


def _squash(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _node(node: object) -> dict:
    if hasattr(node, "contents"):
        return {"type": "directory", "contents": {k: _node(v) for k, v in node.contents.items()}}
    return {"type": "file", "content": node.content}


def _plain(value: object) -> object:
    """Objects of the reference (file-system nodes) as plain JSON (their public attributes)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if not isinstance(value, (str, bool, int, float)) and hasattr(value, "__float__"):
        return float(value)  # mpmath numbers of MathAPI (they have an empty __dict__)
    if hasattr(value, "__dict__"):
        return {
            k: _plain(v) for k, v in vars(value).items() if not k.startswith("_") and k != "parent"
        }
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def parse_call(text: str, docs: dict[str, dict]) -> Call:
    node = ast.parse(text, mode="eval").body
    assert isinstance(node, ast.Call)
    name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
    if name not in docs:
        return Call(name, {}, 0)
    order = list((docs[name].get("parameters") or {}).get("properties") or {})
    arguments = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    for index, arg in enumerate(node.args):
        arguments[order[index]] = ast.literal_eval(arg)
    return Call(name, arguments, 0)


def _improve(world: object, tools: list, client: object | None) -> object:
    """The LLM path: the compiled world's fallback tools proposed again by the LLM."""
    if client is None:
        return world
    from agentscaler.worlds.compiler import write_world
    from agentscaler.worlds.config import WorldConfig
    from agentscaler.worlds.llm_compile import improve_world
    from agentscaler.worlds.runtime.loader import load_world

    improved = improve_world(world, tools, client, WorldConfig(llm_compile=True, llm_retries=1))
    if improved is world:
        return world
    from agentscaler.worlds.importing.shape import SHAPE_FILE

    improved._seed_bytes = world.initial_state()  # the data stays the initial state
    shape = (world.path / SHAPE_FILE).read_text()
    write_world(improved, world.path)
    (world.path / SHAPE_FILE).write_text(shape)
    return load_world(world.path)


def fidelity(
    entries: int | None, classes: set[str] | None, work: Path, client: object | None = None
) -> dict:
    docs = {
        cls: {
            json.loads(line)["name"]: json.loads(line)
            for line in (BFCL / "multi_turn_func_doc" / f"{module}.json").read_text().splitlines()
            if line.strip()
        }
        for cls, module in MODULES.items()
    }
    tools = {
        cls: load_tools([BFCL / "multi_turn_func_doc" / f"{m}.json"]) for cls, m in MODULES.items()
    }
    answers = {
        json.loads(line)["id"]: json.loads(line)["ground_truth"]
        for line in (BFCL / "possible_answer/BFCL_v4_multi_turn_base.json").read_text().splitlines()
    }
    worlds: dict[str, object] = {}
    per_class: dict[str, Counter] = defaultdict(Counter)
    causes: dict[str, Counter] = defaultdict(Counter)
    misses: dict[tuple[str, str, str], list] = defaultdict(list)
    missing: dict[str, Counter] = defaultdict(Counter)
    lines = (BFCL / "BFCL_v4_multi_turn_base.json").read_text().splitlines()
    for line in lines[: entries or None]:
        entry = json.loads(line)
        gold = [c for turn in answers[entry["id"]] for c in turn]
        for cls in entry["involved_classes"]:
            if classes and cls not in classes:
                continue
            config = entry["initial_config"].get(cls, {})
            calls = [parse_call(c, docs[cls]) for c in gold]
            calls = [c for c in calls if c.name in docs[cls]]
            key = f"{cls}-{content_hash(config, length=12)}"
            if key not in worlds:
                worlds[key] = import_world(
                    tools[cls],
                    Source(path=Path(f"{cls}.json"), format="json", document=config),
                    key,
                    work,
                    check=False,
                ).compiled
                worlds[key] = _improve(worlds[key], tools[cls], client)
            result = compare(worlds[key], calls, BfclReference(cls, config), data_keys=list(config))
            counts = per_class[cls]
            counts["entries"] += 1
            counts["final_equal"] += result.final_equal
            counts["reads"] += len(result.reads)
            counts["reads_agree"] += sum(c.agrees for c in result.reads)
            counts["writes"] += len(result.writes)
            counts["writes_agree"] += sum(c.agrees for c in result.writes)
            counts["fields"] += result.fields_total
            counts["fields_found"] += result.fields_found
            missing[cls].update(result.fields_missing)
            in_data = field_paths(config)
            counts["fields_missing_in_data"] += sum(p in in_data for p in result.fields_missing)
            causes[cls].update(result.causes())
            for call, outcome in zip(calls, result.calls, strict=True):
                if not outcome.agrees:
                    misses[(cls, outcome.name, outcome.access, outcome.cause or "")].append(
                        (entry["id"], call.arguments, outcome.ours, outcome.theirs)
                    )
    return {"per_class": per_class, "causes": causes, "misses": misses, "missing": missing}


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}% ({part}/{whole})" if whole else "    - (0/0)"


def print_fidelity(report: dict) -> None:
    total: Counter = Counter()
    total_causes: Counter = Counter()
    print("\nBFCL multi-turn base: gold calls in the imported world vs the reference class")
    print(
        f"{'class':<19} {'entries':>7}  {'schema recovered':<22} {'reads agreeing':<22} "
        f"{'writes same effect':<22} {'final state equal':<22}"
    )
    for cls, c in sorted(report["per_class"].items()):
        total.update(c)
        total_causes.update(report["causes"][cls])
        print(
            f"{cls:<19} {c['entries']:>7}  {_share(c['fields_found'], c['fields']):<22} "
            f"{_share(c['reads_agree'], c['reads']):<22} {_share(c['writes_agree'], c['writes']):<22} "
            f"{_share(c['final_equal'], c['entries']):<22}"
        )
    c = total
    print(
        f"{'overall':<19} {c['entries']:>7}  {_share(c['fields_found'], c['fields']):<22} "
        f"{_share(c['reads_agree'], c['reads']):<22} {_share(c['writes_agree'], c['writes']):<22} "
        f"{_share(c['final_equal'], c['entries']):<22}"
    )
    print(
        f"schema: {c['fields'] - c['fields_found']} reference fields missing from the worlds, "
        f"{c['fields_missing_in_data']} of them in the entries' data (the others are defaults "
        "of the reference's code that the entry's data does not give)"
    )
    misses = sum(total_causes.values())
    print("misses by cause: " + ", ".join(f"{k} {_share(total_causes[k], misses)}" for k in CAUSES))


def _short(value: object, width: int) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= width else text[: width - 3] + "..."


def print_misses(report: dict, width: int = 100) -> None:
    """Per class and tool: the misses, their cause and one example (ours vs the reference)."""
    print(
        "\nmisses per class and tool (count, read or write, cause; one example: arguments, ours, "
        "reference)"
    )
    for (cls, tool, access, cause), found in sorted(
        report["misses"].items(), key=lambda kv: (kv[0][0], -len(kv[1]))
    ):
        entry, arguments, ours, theirs = found[0]
        print(f"{cls:<18} {tool:<24} {len(found):>4}  {access:<5}  {cause}  [{entry}]")
        print(f"    args   {_short(arguments, width)}")
        print(f"    ours   {_short(ours, width)}")
        print(f"    theirs {_short(theirs, width)}")


def print_missing_fields(report: dict, width: int = 100) -> None:
    """Per class: the reference state's fields the imported world lacks (in how many entries)."""
    print("\nreference fields missing from the world (class: field x entries)")
    for cls, found in sorted(report["missing"].items()):
        text = ", ".join(f"{path} x{n}" for path, n in found.most_common())
        print(f"{cls:<18} {_short(text, width * 3)[1:-1]}")


def round_trips() -> tuple[int, int]:
    sources = []
    for line in (BFCL / "BFCL_v4_multi_turn_base.json").read_text().splitlines():
        sources += list(json.loads(line)["initial_config"].values())
    ace = EXTERNAL / "acebench/data_en"
    for name in ("data_agent_multi_turn.json", "data_agent_multi_step.json"):
        for line in (ace / name).read_text().splitlines():
            sources += list(json.loads(line)["initial_config"].values())
        for line in (ace / "possible_answer" / name).read_text().splitlines():
            for state in json.loads(line)["ground_truth"]:
                sources += list(state.values())
    same = sum(
        len(set(round_trip(Source(path=Path("d.json"), format="json", document=s)))) == 1
        for s in sources
    )
    return same, len(sources)


def _ace_calls(text: str) -> list[Call]:
    """A milestone's calls (``[f(a=1), g(b='x')]``); none when it does not parse."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return []
    calls = node.elts if isinstance(node, ast.List) else [node]
    found = []
    for call in calls:
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            return []
        try:
            arguments = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        except ValueError:
            return []
        found.append(Call(call.func.id, arguments, 0))
    return found


def acebench(work: Path, client: object | None = None) -> dict:
    """ACEBench agent scenarios: each class whose initial state the entry gives, imported with
    the entry's tools; the milestone calls run in the world; our final state against the gold
    final state of that class (the data's keys)."""
    counts: Counter = Counter()
    ace = EXTERNAL / "acebench/data_en"
    for name in ("data_agent_multi_turn.json", "data_agent_multi_step.json"):
        gold = {
            json.loads(line)["id"]: json.loads(line)
            for line in (ace / "possible_answer" / name).read_text().splitlines()
        }
        for line in (ace / name).read_text().splitlines():
            entry = json.loads(line)
            answer = gold.get(entry["id"])
            if answer is None:
                continue
            finals = {k: v for state in answer["ground_truth"] for k, v in state.items()}
            calls = [c for m in answer.get("mile_stone") or [] for c in _ace_calls(str(m))]
            work.mkdir(parents=True, exist_ok=True)
            tools_file = work / f"{entry['id']}_tools.json"
            tools_file.write_text(json.dumps(entry["function"]))
            tools = load_tools([tools_file])
            names = {t.name for t in tools}
            for cls, final in finals.items():
                counts["classes"] += 1
                config = entry["initial_config"].get(cls)
                if not isinstance(config, dict) or not config:
                    counts["no_initial"] += 1
                    continue
                counts["compared"] += 1
                world = import_world(
                    tools,
                    Source(path=Path(f"{cls}.json"), format="json", document=config),
                    f"{entry['id']}-{cls}",
                    work / "ace",
                    check=False,
                ).compiled
                world = _improve(world, tools, client)
                from agentscaler.worlds.importing.replay import replay, state_document
                from agentscaler.worlds.importing.shape import canonical_data

                ours = state_document(
                    world,
                    list(replay(world, [c for c in calls if c.name in names]))[-1]["final_state"],
                )
                keys = list(final)
                counts["final_equal"] += all(
                    canonical_data(ours.get(k)) == canonical_data(final.get(k)) for k in keys
                )
                counts["calls"] += len(calls)
    return counts


def print_acebench(counts: Counter) -> None:
    print(
        "\nACEBench agent scenarios (multi-turn + multi-step): final states equal "
        f"{_share(counts['final_equal'], counts['compared'])} of the entry x class states whose "
        f"initial state the entry gives; {counts['no_initial']} of {counts['classes']} gold "
        "states belong to classes whose initial state is the benchmark's code, not its data "
        "(not comparable)"
    )


def big_document(size_mb: float) -> dict:
    import random

    rng = random.Random(7)
    customers = {
        f"C{i:06d}": {
            "customer_id": f"C{i:06d}",
            "name": f"Customer {i}",
            "email": f"c{i}@example.com",
            "tier": rng.choice(["gold", "silver", "basic"]),
            "address": {"city": "Paris", "zip": f"{i % 99999:05d}"},
        }
        for i in range(int(size_mb * 2200))
    }
    ids = list(customers)
    orders = [
        {
            "order_id": f"O{i:07d}",
            "customer_id": rng.choice(ids),
            "status": rng.choice(["pending", "delivered", "cancelled"]),
            "currency": "EUR",
            "created": "2025-01-02",
            "items": [
                {
                    "sku": f"S{rng.randrange(500)}",
                    "quantity": rng.randrange(1, 4),
                    "price": round(rng.uniform(1, 90), 2),
                }
                for _ in range(rng.randrange(1, 4))
            ],
        }
        for i in range(int(size_mb * 3300))
    ]
    return {"customers": customers, "orders": orders, "currency": "EUR"}


def speed(size_mb: float, work: Path) -> None:
    document = big_document(size_mb)
    path = work / "big.json"
    text = json.dumps(document)
    path.write_text(text)
    size = len(text.encode()) / 1e6
    start = time.perf_counter()
    json.dumps(json.loads(path.read_text()))
    baseline = time.perf_counter() - start
    tools_file = work / "tools.json"
    tools_file.write_text(
        json.dumps(
            [
                {
                    "type": "function",
                    "function": {
                        "name": "get_order",
                        "description": "Get an order.",
                        "parameters": {
                            "type": "object",
                            "properties": {"order_id": {"type": "string"}},
                            "required": ["order_id"],
                        },
                    },
                },
                {
                    "type": "function",
                    "function": {
                        "name": "cancel_order",
                        "description": "Cancel a pending order.",
                        "parameters": {
                            "type": "object",
                            "properties": {"order_id": {"type": "string"}},
                            "required": ["order_id"],
                        },
                    },
                },
            ]
        )
    )
    start = time.perf_counter()
    result = import_world(load_tools([tools_file]), path, "big", work / "run", check=False)
    imported = time.perf_counter() - start
    start = time.perf_counter()
    export_state(result.compiled, work / "big_out.json")
    exported = time.perf_counter() - start
    print(
        f"\nspeed on a {size:.1f} MB JSON database ({sum(len(r) for r in result.plan.rows.values())} rows):"
    )
    print(
        f"  import {imported:.2f} s (target < 10 s), export {exported:.2f} s (target < 2 s); "
        f"json.loads + json.dumps of the same data {baseline:.2f} s "
        f"(import {imported / baseline:.1f}x, export {exported / baseline:.1f}x that)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=None, help="First N entries (default all).")
    parser.add_argument("--classes", default="", help="Only these classes (comma separated).")
    parser.add_argument("--size-mb", type=float, default=7.0)
    parser.add_argument(
        "--misses", action="store_true", help="Print the misses per class and tool."
    )
    parser.add_argument(
        "--base-url", default="", help="OpenAI-compatible server: report the LLM path too."
    )
    parser.add_argument("--model", default="default", help="Model name on --base-url.")
    parser.add_argument(
        "--skip", default="", help="Parts to skip: fidelity,acebench,roundtrip,speed."
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    skip = set(filter(None, args.skip.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "roundtrip" not in skip:
            same, total = round_trips()
            print(
                f"round trip (import, export with no calls, canonical JSON equal): {_share(same, total)} "
                "of BFCL and ACEBench states",
                flush=True,  # before a forked worker inherits the buffer and prints it again
            )
        paths: list[tuple[str, object | None]] = [("offline compiler", None)]
        if args.base_url:
            from agentscaler import llm

            client = llm.ChatClient(llm.LLMConfig(base_url=args.base_url, model=args.model))
            paths.append((f"LLM path ({args.model} at {args.base_url})", client))
        for label, client in paths:
            if "fidelity" not in skip:
                classes = set(filter(None, args.classes.split(","))) or None
                print(f"\n== {label}")
                (work / label[:3]).mkdir(exist_ok=True)
                report = fidelity(args.entries, classes, work / label[:3], client)
                print_fidelity(report)
                if args.misses:
                    print_misses(report)
                    print_missing_fields(report)
            if "acebench" not in skip:
                print_acebench(acebench(work / f"ace-{label[:3]}", client))
        if "speed" not in skip:
            speed(args.size_mb, work)


if __name__ == "__main__":
    main()

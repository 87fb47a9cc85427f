"""``worlds check`` on every imported BFCL world: passes per class.

    python bench/imported_check.py [--classes TicketAPI,TravelAPI] [--failures]

For each BFCL multi-turn base class, every distinct ``initial_config`` the entries give it
(an entry involving a class without a config gives it ``{}``) is imported as a world from the
class's tool docs (``multi_turn_func_doc/``), as ``bench/fidelity.py`` imports them, and the
conformance check ``agentscaler worlds check`` runs (``check_world``, seed 0) on it. Prints the
worlds passing per class and overall; ``--failures`` prints each failing world's first failures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from agentscaler.canonical import content_hash
from agentscaler.worlds.checks.conformance import check_world
from agentscaler.worlds.importing.build import import_world, load_tools
from agentscaler.worlds.importing.read import Source
from fidelity import BFCL, MODULES


def configs(classes: set[str] | None) -> dict[str, dict[str, dict]]:
    """Class -> content hash -> a distinct initial config of the class, in entry order."""
    found: dict[str, dict[str, dict]] = {}
    for line in (BFCL / "BFCL_v4_multi_turn_base.json").read_text().splitlines():
        entry = json.loads(line)
        for cls in entry["involved_classes"]:
            if classes and cls not in classes:
                continue
            config = entry["initial_config"].get(cls, {})
            found.setdefault(cls, {}).setdefault(content_hash(config, length=12), config)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", default="", help="Only these classes (comma separated).")
    parser.add_argument("--failures", action="store_true", help="Print each failing world.")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    classes = set(filter(None, args.classes.split(","))) or None
    passed: Counter = Counter()
    total: Counter = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for cls, by_hash in sorted(configs(classes).items()):
            tools = load_tools([BFCL / "multi_turn_func_doc" / f"{MODULES[cls]}.json"])
            for digest, config in by_hash.items():
                name = f"{cls}-{digest}"
                world = import_world(
                    tools,
                    Source(path=Path(f"{cls}.json"), format="json", document=config),
                    name,
                    Path(tmp),
                    check=False,
                ).compiled
                report = check_world(world, seed=0)
                total[cls] += 1
                passed[cls] += not report.failures
                if report.failures and args.failures:
                    for failure in report.failures[:3]:
                        print(f"  {name} {failure.check} {failure.tool or ''} {failure.detail}")
            print(f"{cls:<18} {passed[cls]}/{total[cls]}", flush=True)
    print(f"{'overall':<18} {sum(passed.values())}/{sum(total.values())} worlds pass worlds check")


if __name__ == "__main__":
    main()

"""Seeded rows whose status tells their time, against the dates they hold.

Over every built-in world (seed 7, 40 rows per table): a row in a status that has ended
(``completed``, ``delivered``, ``expired``...) must have begun before the world's clock, one
still to come (``confirmed``, ``scheduled``; ``pending`` or ``requested`` for an occasion such as
a booking) must reach past it, one under way (``active``, ``in_transit``, ``seated``...) must have
begun by it. A row's own dates are read by their names, independently of the seeder: the moments
it was made, changed, paid or billed are left out; a date of an expiry or an end (``expir*``,
``until``) must lie before the clock for a row that has ended and has no other date, and after it
for a row under way or to come. Prints the rows flagged, by world, table and status.

    python bench/seed_times.py [--rows 40] [--show 30]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

from agentscaler.catalog import vertical_tools, verticals
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.seeding.pairs import is_occasion
from agentscaler.worlds.seeding.seed import seed_rows

ENDED = set(
    """completed complete checked_out no_show delivered departed landed arrived returned
    attended fulfilled expired used boarded closed resolved finished done ended""".split()
)
AHEAD = set("scheduled confirmed upcoming booked reserved planned".split())
WAITING = set("pending requested tentative waitlisted".split())
NOW = set("checked_in in_progress ongoing active boarding in_transit started seated".split())
NOT_ITS_TIME = re.compile(
    r"(created|updated|modified|booked|ordered|placed|made|requested|submitted|filed|opened"
    r"|reported|raised|listed|joined|registered|enrolled|due|billing|resume|paused|last|next"
    r"|birth|dob|issued|approved|rejected|cancelled|paid|sent|read)"
)
ENDS = re.compile(r"(expir|until|valid_to)")
DAY = re.compile(r"\d{4}-\d\d-\d\d.*")


def tense(status: str, table: str) -> str | None:
    if status in ENDED:
        return "past"
    if status in AHEAD or (is_occasion(table) and status in WAITING):
        return "ahead"
    if status in NOW:
        return "now"
    return None


def flagged(row: dict, table: str, clock: str) -> bool | None:
    """None for a row whose status or dates say nothing of its time; else whether they disagree."""
    want = tense(str(row.get("status", "")).lower(), table)
    days = {
        k: str(v)[:10]
        for k, v in row.items()
        if isinstance(v, str) and DAY.fullmatch(v) and not NOT_ITS_TIME.search(k)
    }
    if want is None or not days:
        return None
    ends = {k: v for k, v in days.items() if ENDS.search(k)}
    own = {k: v for k, v in days.items() if k not in ends}
    if own:
        first, last = min(own.values()), max(own.values())
        if (want == "past" and first > clock) or (want == "ahead" and last < clock):
            return True
        if want == "now" and first > clock:
            return True
    if ends:
        end = min(ends.values())
        if (want == "past" and not own and end > clock) or (want != "past" and end < clock):
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=40, help="Rows seeded per table.")
    parser.add_argument("--show", type=int, default=30, help="Flagged groups shown.")
    args = parser.parse_args()
    read = bad = 0
    groups: Counter[str] = Counter()
    for vertical in verticals():
        world = compile_world(f"v-{vertical}", vertical, vertical_tools(vertical))
        clock = str(world.spec.clock)[:10]
        for table, rows in seed_rows(world.world, 7, args.rows, world.spec).items():
            for row in rows:
                verdict = flagged(row, table, clock)
                if verdict is None:
                    continue
                read += 1
                if verdict:
                    bad += 1
                    groups[f"{vertical} {table} {row.get('status')}"] += 1
    print(f"rows whose status tells their time: {read}; dates that disagree: {bad}")
    for group, count in groups.most_common(args.show):
        print(f"  {count:4d}  {group}")


if __name__ == "__main__":
    main()

"""World runtime benchmark: tool calls/s, snapshot+restore latency and state-hash time vs rows.

    python bench/world.py [--rows 10000 100000] [--calls 3000]

Compiles a small retail world (orders, customers), fills its orders table to each row count,
then measures through the real runtime (validation, sandbox budget, savepoints, change log):
indexed reads (get by key), indexed searches (by customer), writes (updates and creates),
snapshot+restore, and the canonical state hash (cold, and cached after a write to another table).
Baseline, measured in the same run: a bare sqlite3 primary-key SELECT on the same database.
Targets on 2 cores: >= 5,000 indexed calls/s; snapshot+restore of 10k rows < 5 ms; hash of 100k
rows < 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from agentscaler.records import ToolSpec
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.runtime.env import WorldEnv
from agentscaler.worlds.runtime.state import connect_bytes
from agentscaler.worlds.seeding.seed import seed_rows

ORDER_ID = {
    "type": "string",
    "pattern": "^ORD-[0-9]{6}$",
    "description": "Order id, e.g. ORD-104233.",
}
CUSTOMER_ID = {
    "type": "string",
    "pattern": "^CUS-[0-9]{6}$",
    "description": "Customer id, e.g. CUS-100200.",
}
STATUS = {"type": "string", "enum": ["pending", "processing", "shipped", "delivered", "cancelled"]}
ORDER = {
    "type": "object",
    "properties": {
        "order_id": ORDER_ID,
        "customer_id": CUSTOMER_ID,
        "status": STATUS,
        "total": {"type": "number"},
        "placed": {"type": "string", "format": "date"},
        "shipping_address": {"type": "string"},
    },
}


def _tools() -> list[ToolSpec]:
    def params(properties, required):
        return {"type": "object", "properties": properties, "required": required}

    return [
        ToolSpec.create(
            name="get_order",
            description="Get an order.",
            parameters=params({"order_id": ORDER_ID}, ["order_id"]),
            returns=ORDER,
        ),
        ToolSpec.create(
            name="list_customer_orders",
            description="List a customer's orders.",
            parameters=params(
                {"customer_id": CUSTOMER_ID, "status": STATUS, "limit": {"type": "integer"}},
                ["customer_id"],
            ),
            returns={
                "type": "object",
                "properties": {
                    "orders": {"type": "array", "items": ORDER},
                    "count": {"type": "integer"},
                },
            },
        ),
        ToolSpec.create(
            name="update_shipping_address",
            description="Change the shipping address of an order.",
            parameters=params(
                {"order_id": ORDER_ID, "shipping_address": {"type": "string"}},
                ["order_id", "shipping_address"],
            ),
            returns=ORDER,
        ),
        ToolSpec.create(
            name="create_order",
            description="Place an order for a customer.",
            parameters=params(
                {
                    "customer_id": CUSTOMER_ID,
                    "total": {"type": "number"},
                    "shipping_address": {"type": "string"},
                },
                ["customer_id", "total"],
            ),
            returns=ORDER,
        ),
        ToolSpec.create(
            name="get_customer",
            description="Get a customer.",
            parameters=params({"customer_id": CUSTOMER_ID}, ["customer_id"]),
            returns={
                "type": "object",
                "properties": {
                    "customer_id": CUSTOMER_ID,
                    "full_name": {"type": "string"},
                    "email": {"type": "string"},
                },
            },
        ),
        ToolSpec.create(
            name="update_customer_email",
            description="Change a customer's email.",
            parameters=params(
                {"customer_id": CUSTOMER_ID, "email": {"type": "string"}}, ["customer_id", "email"]
            ),
        ),
    ]


def _state(world, rows: int) -> tuple[bytes, list[str], list[str]]:
    """A database with ``rows`` orders over 1,000 customers (seeded rows copied with new keys)."""
    base = seed_rows(world.world, 1, {"customers": 1000, "orders": 1000})
    conn = connect_bytes(world.seed_state(1, {"customers": 1000, "orders": 1000}))
    meta = world.schema.tables["orders"]
    conn.execute("DELETE FROM orders")
    template = base["orders"]
    encoded = []
    for i in range(rows):
        row = dict(template[i % len(template)])
        row["order_id"] = f"ORD-{100000 + i:06d}"
        encoded.append(tuple(meta.encode(c, row.get(c)) for c in meta.columns))
    conn.execute("BEGIN")
    conn.executemany(meta.insert_sql, encoded)
    conn.execute("COMMIT")
    data = conn.serialize()
    conn.close()
    orders = [f"ORD-{100000 + i:06d}" for i in range(rows)]
    customers = [r["customer_id"] for r in base["customers"]]
    return data, orders, customers


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>9,.0f}/s"


def _time(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench(rows: int, calls: int, world) -> None:
    data, orders, customers = _state(world, rows)
    env = WorldEnv(world)
    env.reset(options={"state": data})
    rng = random.Random(0)
    keys = [rng.choice(orders) for _ in range(calls)]
    people = [rng.choice(customers) for _ in range(calls)]

    conn = env._conn  # the baseline reads the same database with bare sqlite3
    sql = world.schema.tables["orders"].get_sql
    conn.execute(sql, (keys[0],)).fetchone()
    start = time.perf_counter()
    for key in keys:
        conn.execute(sql, (key,)).fetchone()
    baseline = time.perf_counter() - start

    def run(tool, argument_lists):
        env.step((tool, argument_lists[-1]))  # warm up (lazy imports, compiled validators)
        start = time.perf_counter()
        for arguments in argument_lists:
            result = env.step((tool, arguments))
            assert result.ok, result.observation
        return time.perf_counter() - start

    reads = run("get_order", [{"order_id": k} for k in keys])
    searches = run("list_customer_orders", [{"customer_id": c, "limit": 10} for c in people])
    updates = run(
        "update_shipping_address",
        [{"order_id": k, "shipping_address": f"{i} Main St"} for i, k in enumerate(keys)],
    )
    creates = run("create_order", [{"customer_id": c, "total": 10.0} for c in people])
    print(f"\n== {rows:,} orders ({calls:,} calls each) ==")
    print(f"  bare sqlite3 SELECT by key   {_rate(calls, baseline)}   (baseline)")
    print(
        f"  get_order (read, indexed)    {_rate(calls, reads)}   {baseline / reads:.2f}x of baseline"
    )
    print(f"  list_customer_orders (read)  {_rate(calls, searches)}")
    print(f"  update_shipping_address      {_rate(calls, updates)}   (write)")
    print(f"  create_order                 {_rate(calls, creates)}   (write)")

    env.reset(options={"state": data})
    latencies = []
    for _ in range(20):
        start = time.perf_counter()
        snap = env.snapshot()
        env.restore(snap)
        latencies.append(time.perf_counter() - start)
    print(
        f"  snapshot+restore             {statistics.median(latencies) * 1000:9.2f} ms (median of 20, {len(snap.data) / 1e6:.1f} MB)"
    )

    env.reset(options={"state": data})

    def cold():
        env._digests.clear()
        env.state_hash()

    cold_s = _time(cold)
    env.state_hash()
    customer = customers[0]

    def cached():
        env.call(
            "update_customer_email",
            customer_id=customer,
            email=f"x{time.perf_counter()}@example.com",
        )
        env.state_hash()

    cached_s = _time(cached)
    print(f"  state hash, cold             {cold_s * 1000:9.2f} ms")
    print(
        f"  write + hash (orders cached) {cached_s * 1000:9.2f} ms   {cold_s / cached_s:.0f}x faster than cold"
    )
    env.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    world = compile_world("bench-retail", "bench retail", _tools())
    print(f"world {world.world.id}: tables {', '.join(t.name for t in world.world.tables)}")
    if hasattr(os, "getloadavg"):
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    for rows in args.rows:
        bench(rows, args.calls, world)


if __name__ == "__main__":
    main()

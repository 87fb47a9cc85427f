"""Faults tried as a careless user and an attacker would: nothing may fail silently.

Run: ``python bench/faults.py [--kills 10] [--fuzz 2000] [--only sandbox,kills,concurrent,
corrupt,fuzz,cost] [--keep DIR]``. Sections:

* sandbox: every payload of ``tests/worlds/data/adversarial_tools.json`` (the issue's payloads
  and more: time, memory, files, network, code escapes) as a user's edit of ``tools.py`` (the
  default: a worker process under OS limits), in-process under the interpreter-level guards alone
  (what trusted generated code gets), and, for time and memory, raw and unchecked under the OS
  limits alone. Each payload runs in a fresh process; budgets are the defaults (2 s, 256 MB). An
  escape is a payload that returns normally, runs past 2x its time budget, grows past 2x its
  memory budget, or touches the host (``/tmp/agentscaler-escape``).
* kills: ``agentscaler run`` (built-in catalog, hashing embedder, 3 tasks per domain) killed with
  SIGKILL at N random moments, each in a fresh folder, then run again: the records must equal an
  uninterrupted run's (``tests/pipeline/records.py``).
* concurrent: two ``run`` (and a ``simulate``) on one folder: one runs, the others are refused
  with one line naming it; no traceback; the records are the uninterrupted ones.
* corrupt: each corruption on a copy of the finished run (edited settings, torn episode line,
  garbage and deleted files, a real full disk on a small tmpfs when run as root): detected and
  named or repaired, and the repaired folder's records equal the uninterrupted run's.
* fuzz: N fuzzed tool records (``tests/ingest/fuzz.py``): each kept or rejected with its own
  reason; how many the old whole-file rejection would have thrown away unread.
* cost: the price of the checks, against baselines measured in the same run: a verified no-op
  rerun against the whole run, and tool calls in a worker against in-process calls.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "ingest"))
sys.path.insert(0, str(ROOT / "tests" / "pipeline"))

from fuzz import account, fuzzed_catalog  # noqa: E402
from records import differences, run_records  # noqa: E402

FAST = ["--embedder", "hash", "--per-domain", "3"]
CORPUS = json.loads((ROOT / "tests/worlds/data/adversarial_tools.json").read_text())
ESCAPE = Path("/tmp/agentscaler-escape")
TIME_S, MEMORY_MB = 2.0, 256
ORDINARY = {
    "name": "ordinary lookup",
    "category": "baseline",
    "body": "    order = db.get('orders', order_id)\n    return {'id': order['order_id']}\n",
}
"""What every layer costs for a normal call: the baseline of the memory figures."""


def cli(*args: object, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


# --- sandbox ---------------------------------------------------------------------------------


def _probe_source(source: str, body: str) -> str:
    start = source.index("def get_order(")
    end = source.index("\n\n\n", start)
    header = source[start : source.index('"""', source.index('"""', start) + 3) + 3]
    return source[:start] + header + "\n" + body + source[end:]


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def run_payload(name: str, layer: str, world_dir: str, order_id: str) -> dict[str, Any]:
    """One payload in this (fresh) process; the outcome as JSON data."""
    from agentscaler.errors import UnsafeCodeError
    from agentscaler.worlds.compiler import write_world
    from agentscaler.worlds.runtime.loader import CompiledWorld, code_hash, load_world

    entry = next(e for e in [*CORPUS, ORDINARY] if e["name"] == name)
    ESCAPE.unlink(missing_ok=True)
    base = load_world(world_dir)
    source = _probe_source(base.source, entry["body"])
    if layer == "os":
        return _raw_under_os_limits(entry["body"])
    started_self = _peak_mb(resource.RUSAGE_SELF)
    try:
        if layer == "inline":
            record = base.world.model_copy(update={"code_hash": code_hash(source)})
            world = CompiledWorld.from_parts(record, source, base.openai_tools)
        else:
            folder = Path(tempfile.mkdtemp()) / "w"
            write_world(base, folder)
            (folder / "tools.py").write_text(source)
            world = load_world(folder)
    except UnsafeCodeError as exc:
        return {"outcome": "refused", "detail": str(exc).split(": ", 1)[-1][:90]}
    env = world.make_env()
    started = time.perf_counter()
    result = env.call("get_order", order_id=order_id)
    seconds = time.perf_counter() - started
    if layer == "worker":
        from agentscaler.worlds.runtime import isolated

        isolated.pool().close()  # its peak memory counts once it has ended
    grown = _peak_mb(resource.RUSAGE_SELF) - started_self
    if layer == "worker":
        grown = _peak_mb(resource.RUSAGE_CHILDREN)
    if result.ok:
        outcome = "returned"
    elif result.error_type == "limit_exceeded":
        outcome = f"stopped ({result.info.get('limit_exceeded')})"
    else:
        outcome = f"error ({result.error_type})"
    return {
        "outcome": outcome,
        "seconds": round(seconds, 3),
        "memory_mb": round(grown, 1),
        "touched_host": ESCAPE.exists(),
        "detail": result.content[:90],
    }


_RAW = """
import json, sys
from agentscaler.worlds.runtime.isolated_worker import _limit_os
_limit_os({memory}, {seconds})
class Db:
    def get(self, table, key):
        return {{"order_id": key}}
def probe(db, *, order_id="ORD-1"):
{body}
try:
    json.dumps(probe(Db()))
except MemoryError:
    sys.exit(3)
"""


def _raw_under_os_limits(body: str) -> dict[str, Any]:
    """The payload as plain Python (no checks, no guards) under RLIMIT_AS/RLIMIT_CPU and a
    wall-clock kill: the OS layer alone."""
    code = _RAW.format(memory=MEMORY_MB, seconds=TIME_S, body=body)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    try:
        status = proc.wait(timeout=TIME_S)
        how = {0: "returned", 3: "stopped (memory)"}.get(status, f"exit {status}")
        if status == -signal.SIGXCPU:
            how = "stopped (cpu)"
        elif status == 1:
            how = "stopped (memory)"  # MemoryError raised outside the guarded call
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        how = "stopped (time)"
    return {
        "outcome": how,
        "seconds": round(time.perf_counter() - started, 3),
        "memory_mb": round(_peak_mb(resource.RUSAGE_CHILDREN), 1),
        "touched_host": ESCAPE.exists(),
    }


def sandbox(world_dir: Path, order_id: str) -> list[dict[str, Any]]:
    print("\n== sandbox: the adversarial tools.py corpus ==")
    rows = []
    for layer in ("worker", "inline", "os"):
        baseline = _payload_process(ORDINARY["name"], layer, world_dir, order_id)["memory_mb"]
        for entry in CORPUS:
            if layer == "inline" and entry.get("stopped_by") == "os":
                rows.append(
                    {
                        "layer": layer,
                        "name": entry["name"],
                        "outcome": "not run (one C call: only the OS stops it)",
                    }
                )
                continue
            if layer == "os" and entry["category"] not in {"time", "memory"}:
                continue
            row = _payload_process(entry["name"], layer, world_dir, order_id)
            row.update(layer=layer, name=entry["name"], category=entry["category"])
            row["memory_over_mb"] = round(max(0.0, row.get("memory_mb", 0) - baseline), 1)
            row["escaped"] = _escaped(row)
            rows.append(row)
        _sandbox_table([r for r in rows if r["layer"] == layer], layer, baseline)
    return rows


def _payload_process(name: str, layer: str, world_dir: Path, order_id: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--payload", name, "--layer", layer, "--world", str(world_dir),
         "--order-id", order_id],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"outcome": f"crashed ({out.returncode})", "detail": out.stderr[-200:]}


def _escaped(row: dict[str, Any]) -> str:
    if row["outcome"] == "returned" and row["category"] in {"time", "memory"}:
        return "ran to the end"
    if row.get("seconds", 0) > 2 * TIME_S:
        return f"time {row['seconds']:.2f} s"
    if row.get("memory_over_mb", 0) > 2 * MEMORY_MB:
        return f"memory +{row['memory_over_mb']:.0f} MB"
    if row.get("touched_host"):
        return "touched the host"
    return ""


def _sandbox_table(rows: list[dict[str, Any]], layer: str, baseline: float) -> None:
    title = {
        "worker": "edited tools.py (worker process: OS limits + guards)",
        "inline": "in-process, interpreter-level guards only",
        "os": "raw code, OS limits and wall-clock kill only",
    }[layer]
    print(f"\n-- {title} (budget {TIME_S:g} s, {MEMORY_MB} MB; baseline memory {baseline:.0f} MB)")
    print(f"  {'payload':<46} {'category':<8} {'outcome':<22} {'s':>6} {'+MB':>6}  escape")
    for row in rows:
        print(
            f"  {row['name'][:46]:<46} {row.get('category', ''):<8} {row['outcome'][:22]:<22} "
            f"{row.get('seconds', 0):>6.2f} {row.get('memory_over_mb', 0):>6.0f}  "
            f"{row.get('escaped', '') or '-'}"
        )
    ran = [r for r in rows if "category" in r]
    escapes = [r for r in ran if r.get("escaped")]
    timed = [r["seconds"] / TIME_S for r in ran if r["outcome"].startswith("stopped (time")]
    memory = [r["memory_over_mb"] / MEMORY_MB for r in ran if r["category"] == "memory"]
    print(
        f"  => {len(ran)} payloads: {sum(r['outcome'] == 'refused' for r in ran)} refused, "
        f"{sum(r['outcome'].startswith('stopped') for r in ran)} stopped, "
        f"{sum(r['outcome'].startswith('error') for r in ran)} failed without effect, "
        f"{len(escapes)} escapes; time stops at most {max(timed, default=0):.2f}x the budget, "
        f"memory payloads at most {max(memory, default=0):.2f}x"
    )


# --- kills -----------------------------------------------------------------------------------


def reference(work: Path) -> tuple[Path, float]:
    root = work / "reference"
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    result = cli("run", "--out", root, *FAST)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-2000:]
    print(f"uninterrupted run: {seconds:.1f} s, {len(run_records(root))} records")
    return root, seconds


def _stage_running(root: Path) -> str:
    from agentscaler.pipeline.run import STAGE_NAMES

    done = {p.stem for p in (root / ".stages").glob("*.json")} if root.exists() else set()
    return next((s for s in STAGE_NAMES if s not in done), "done")


def kills(work: Path, ref: Path, seconds: float, count: int, seed: int) -> list[dict[str, Any]]:
    print(f"\n== kills: SIGKILL at {count} random moments of `agentscaler run`, then rerun ==")
    rng = random.Random(seed)
    expected = run_records(ref)
    rows = []
    for i in range(count):
        root = work / f"kill{i}"
        shutil.rmtree(root, ignore_errors=True)
        at = rng.uniform(0.3, seconds)
        proc = subprocess.Popen(
            [sys.executable, "-m", "agentscaler.cli.app", "run", "--out", str(root), *FAST],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        time.sleep(at)
        stage = _stage_running(root)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        rerun = cli("run", "--out", root)
        diff = differences(run_records(root), expected)
        rows.append(
            {
                "at_s": round(at, 2),
                "stage": stage,
                "rerun_status": rerun.returncode,
                "tracebacks": rerun.stderr.count("Traceback"),
                "differing_records": len(diff),
            }
        )
        print(
            f"  kill {i + 1:>2} at {at:5.2f} s during {stage:<9} rerun exit {rerun.returncode}, "
            f"{len(diff)} records differ{': ' + ', '.join(diff[:3]) if diff else ''}"
        )
    same = sum(r["differing_records"] == 0 and r["rerun_status"] == 0 for r in rows)
    print(f"  => {same}/{count} reruns identical to the uninterrupted run")
    return rows


# --- concurrent runs -------------------------------------------------------------------------


def concurrent(work: Path, ref: Path, rounds: int = 3) -> list[dict[str, Any]]:
    print("\n== concurrent: two runs (and a simulate) on one folder ==")
    rows = []
    for i in range(rounds):
        root = work / f"concurrent{i}"
        shutil.rmtree(root, ignore_errors=True)
        first = subprocess.Popen(
            [sys.executable, "-m", "agentscaler.cli.app", "run", "--out", str(root), *FAST],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(0.5 + 3 * i)
        second = cli("run", "--out", root, *FAST)
        stage = cli("simulate", root, "--offline")
        status = first.wait()
        errors = first.stderr.read()
        same = not differences(run_records(root), run_records(ref))
        others = [second, stage]
        row = {
            "first_exit": status,
            "refused": [r.returncode for r in others],
            "messages": [error_lines(r)[0] if error_lines(r) else r.stderr[-120:] for r in others],
            "tracebacks": sum(r.stderr.count("Traceback") for r in others)
            + errors.count("Traceback"),
            "identical": same,
        }
        rows.append(row)
        print(
            f"  round {i + 1}: running exit {status}, others exit {row['refused']}, "
            f"{row['tracebacks']} tracebacks, records identical: {same}"
        )
        for message in row["messages"]:
            print(f"    {message[:150]}")
    return rows


# --- corruptions -----------------------------------------------------------------------------


def _copy(ref: Path, work: Path, name: str) -> Path:
    root = work / name
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(ref, root)
    return root


def corrupt(work: Path, ref: Path) -> list[dict[str, Any]]:
    print("\n== corrupt: each damage on a copy of the finished run ==")
    expected = run_records(ref)
    rows = []

    def record(name: str, detected: str, root: Path | None, refused: bool = False) -> None:
        if root is not None:
            rerun = cli("run", "--out", root)
            diff = differences(run_records(root), expected)
            outcome = (
                f"rerun exit {rerun.returncode}, {len(diff)} records differ"
                if not refused
                else f"refused (exit {rerun.returncode})"
            )
            ok = (rerun.returncode == 0 and not diff) if not refused else rerun.returncode == 1
        else:
            outcome, ok = "not measured", None
        rows.append({"corruption": name, "detected": detected, "outcome": outcome, "ok": ok})
        print(f"  {name:<34} {'OK ' if ok else 'BAD' if ok is False else '-- '} {outcome}")
        print(f"      {detected[:170]}")

    root = _copy(ref, work, "edited-settings")
    settings = json.loads((root / "run.json").read_text())
    settings["worlds"]["seed"] = 5
    (root / "run.json").write_text(json.dumps(settings))
    record(
        "run.json: worlds.seed edited",
        (error_lines(cli("run", "--out", root)) or ["-"])[0],
        root,
        refused=True,
    )

    root = _copy(ref, work, "torn-line")
    shard = max((root / "episodes").glob("*.jsonl"), key=lambda p: p.stat().st_size)
    shard.write_bytes(shard.read_bytes()[:-300])
    record(
        "episode line torn", _redo_line(cli("run", "--out", _copy(root, work, "torn-probe"))), root
    )

    root = _copy(ref, work, "garbage-seed")
    seed = sorted((root / "worlds").glob("*/seed.sqlite"))[0]
    seed.write_bytes(os.urandom(4096))
    named = cli("worlds", "call", root, seed.parent.name, "anything")
    record("garbage worlds/*/seed.sqlite", (error_lines(named) or ["-"])[0], root)

    root = _copy(ref, work, "deleted-state")
    sorted((root / "states").glob("*.sqlite"))[0].unlink()
    record(
        "deleted states/*.sqlite",
        (error_lines(cli("simulate", root, "--offline")) or ["-"])[0],
        root,
    )

    root = _copy(ref, work, "damaged-state")
    sorted((root / "states").glob("*.sqlite"))[1].write_bytes(b"not a database")
    record("garbage states/*.sqlite", (error_lines(cli("filter", root)) or ["-"])[0], root)

    root = _copy(ref, work, "corrupt-tasks")
    lines = (root / "tasks.jsonl").read_text().splitlines(keepends=True)
    lines[len(lines) // 2] = "{not json\n"
    (root / "tasks.jsonl").write_text("".join(lines))
    record(
        "tasks.jsonl line garbled",
        (error_lines(cli("simulate", root, "--offline")) or ["-"])[0],
        root,
    )

    root = _copy(ref, work, "deleted-pool")
    (root / "tools.jsonl").unlink()
    record(
        "tools.jsonl deleted",
        _redo_line(cli("run", "--out", _copy(root, work, "pool-probe"))),
        root,
    )

    root = _copy(ref, work, "deleted-markers")
    shutil.rmtree(root / ".stages")
    record("completion markers deleted", "stages run again and reuse their finished parts", root)

    root = _copy(ref, work, "edited-tools")
    tools = sorted((root / "worlds").glob("*/tools.py"))[0]
    tools.write_text(tools.read_text() + "\n\ndef helper(db):\n    return 1\n")
    rerun = cli("run", "--out", root)
    text = rerun.stdout + rerun.stderr
    print(f"  {'tools.py edited (kept, rechecked)':<34} exit {rerun.returncode}, edit kept: "
          f"{'def helper' in tools.read_text()}, downstream checked again: {'running it again' in text}")  # fmt: skip

    rows.append(full_disk(work, expected))
    return rows


def _redo_line(result: subprocess.CompletedProcess) -> str:
    text = " ".join(result.stdout.split())
    start = text.find("finished earlier, but")
    return text[start - 10 : start + 150] if start >= 0 else text[-150:]


def full_disk(work: Path, expected: dict[str, str]) -> dict[str, Any]:
    """Runs on tmpfs file systems too small for them (each fills up in another stage), then the
    same command once there is room."""
    mount = work / "small-disk"
    mount.mkdir(exist_ok=True)
    if os.geteuid() != 0:
        print("  full disk: not measured (mounting a small tmpfs needs root)")
        return {"corruption": "full disk", "outcome": "not measured", "ok": None}
    results = []
    for size in (6, 12, 20, 28):
        if subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}m", "tmpfs", str(mount)],
            capture_output=True,
        ).returncode:
            print("  full disk: not measured (cannot mount a tmpfs here)")
            return {"corruption": "full disk", "outcome": "not measured", "ok": None}
        try:
            root = mount / "run"
            full = cli("run", "--out", root, *FAST)
            line = (error_lines(full) or [full.stderr[-200:]])[0]
            subprocess.run(["mount", "-o", "remount,size=512m", str(mount)], check=True)
            rerun = cli("run", "--out", root)
            diff = differences(run_records(root), expected)
        finally:
            subprocess.run(["umount", str(mount)], capture_output=True)
        ok = full.returncode == 1 and "Traceback" not in full.stderr and not diff
        ok = ok and rerun.returncode == 0
        results.append(ok)
        print(
            f"  {f'disk full ({size} MB tmpfs)':<34} {'OK ' if ok else 'BAD'} exit "
            f"{full.returncode}, {full.stderr.count('Traceback')} tracebacks; after making room: "
            f"rerun exit {rerun.returncode}, {len(diff)} records differ"
        )
        print(f"      {line[:170].replace(str(work), '...')}")
    return {"corruption": "full disk", "ok": all(results)}


# --- fuzzed records --------------------------------------------------------------------------


def fuzz(work: Path, records: int) -> dict[str, Any]:
    from agentscaler.ingest import import_sources

    print(f"\n== fuzz: {records} fuzzed tool records ==")
    folder = work / "fuzz"
    shutil.rmtree(folder, ignore_errors=True)
    planned = fuzzed_catalog(folder, records, seed=24)
    started = time.perf_counter()
    result = import_sources([str(folder)])
    seconds = time.perf_counter() - started
    books = account(result, planned)
    whole_file_losses = 0
    for path in sorted(folder.iterdir()):
        if path.suffix == ".json":
            try:
                json.loads(
                    path.read_text(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c))
                )
            except (ValueError, RecursionError):
                whole_file_losses += sum(1 for key in planned if key[0] == str(path))
    reasons: dict[str, int] = {}
    for rejects in books["rejected"].values():
        reasons[str(rejects[0].reason)] = reasons.get(str(rejects[0].reason), 0) + 1
    print(
        f"  {len(books['kept'])} kept, {len(books['rejected'])} rejected with their own reason, "
        f"{len(books['lost'])} lost, {len(books['both'])} both, {len(books['twice'])} rejected "
        f"twice, {len(books['whole_files'])} whole files rejected; {seconds:.2f} s"
    )
    print(f"  reasons: {dict(sorted(reasons.items()))}")
    print(
        f"  records in JSON files strict JSON refuses as a whole (NaN, absurd nesting): "
        f"{whole_file_losses} (rejected unread before records were read one by one)"
    )
    return {
        "kept": len(books["kept"]),
        "rejected": len(books["rejected"]),
        "lost": len(books["lost"]),
    }


# --- the cost of the checks ------------------------------------------------------------------


def cost(work: Path, ref: Path, ref_seconds: float, world_dir: Path, order_id: str) -> None:
    print("\n== cost: checks against baselines of the same run ==")
    root = _copy(ref, work, "noop")
    started = time.perf_counter()
    result = cli("run", "--out", root)
    noop = time.perf_counter() - started
    started = time.perf_counter()
    cli("--version")
    startup = time.perf_counter() - started
    print(
        f"  verified rerun of a finished run (every marker checked, nothing redone): {noop:.2f} s "
        f"(exit {result.returncode}); process start alone {startup:.2f} s; the whole run "
        f"{ref_seconds:.1f} s ({noop / ref_seconds:.3f}x)"
    )
    from agentscaler.worlds.config import WorldConfig
    from agentscaler.worlds.runtime import isolated
    from agentscaler.worlds.runtime.loader import load_world

    rates = {}
    for mode in ("auto", "process"):
        env = load_world(world_dir, WorldConfig(tool_isolation=mode)).make_env()
        env.call("get_order", order_id=order_id)
        calls = 2000
        started = time.perf_counter()
        for _ in range(calls):
            env.call("get_order", order_id=order_id)
        rates[mode] = calls / (time.perf_counter() - started)
    isolated.pool().close()
    print(
        f"  get_order in-process (trusted generated code): {rates['auto']:,.0f} calls/s; in a "
        f"worker process: {rates['process']:,.0f} calls/s ({rates['process'] / rates['auto']:.2f}x)"
    )


# --- main ------------------------------------------------------------------------------------


def _orders_world(root: Path) -> tuple[Path, str]:
    import sqlite3

    for tools in sorted((root / "worlds").glob("*/tools.py")):
        if "def get_order(" in tools.read_text():
            conn = sqlite3.connect(tools.parent / "seed.sqlite")
            try:
                (order_id,) = conn.execute("SELECT order_id FROM orders LIMIT 1").fetchone()
            finally:
                conn.close()
            return tools.parent, order_id
    raise SystemExit("no world with get_order in the reference run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--fuzz", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--only", default="sandbox,kills,concurrent,corrupt,fuzz,cost")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--payload", help=argparse.SUPPRESS)
    parser.add_argument("--layer", help=argparse.SUPPRESS)
    parser.add_argument("--world", help=argparse.SUPPRESS)
    parser.add_argument("--order-id", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.payload:
        print(json.dumps(run_payload(args.payload, args.layer, args.world, args.order_id)))
        return
    only = set(args.only.split(","))
    work = args.keep or Path(tempfile.mkdtemp(prefix="agentscaler-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("AGENTSCALER_CACHE_DIR", str(work / "cache"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; work in {work}")
    try:
        ref, ref_seconds = reference(work)
        world_dir, order_id = _orders_world(ref)
        if "sandbox" in only:
            sandbox(world_dir, order_id)
        if "kills" in only:
            kills(work, ref, ref_seconds, args.kills, args.seed)
        if "concurrent" in only:
            concurrent(work, ref)
        if "corrupt" in only:
            corrupt(work, ref)
        if "fuzz" in only:
            fuzz(work, args.fuzz)
        if "cost" in only:
            cost(work, ref, ref_seconds, world_dir, order_id)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

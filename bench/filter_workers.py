"""The filter stage on one process against a warm pool of worker processes, by wall and CPU time.

    python bench/filter_workers.py RUN [--workers 2] [--rounds 3]

RUN is a finished run folder (e.g. ``WORKDIR/local-3000/run`` of ``bench/scale.py``); it is not
changed: the filter runs in a copy that links its inputs. The two settings alternate for
``--rounds`` rounds after one warm-up each (imports, tool code, unit registry: what the pool of an
``agentscaler run`` has by the filter stage), and the verdicts of both are checked to be the same.

On a machine shared with other jobs the wall-clock ratio says more about the load than about the
stage, so the CPU seconds are printed beside it: the parent's (the serial part: indexing, merging,
the stage marker) and the workers' (the shards). ``bound`` is the speedup the stage reaches when
every worker has a core of its own: one-process CPU / (parent CPU + worker CPU / workers).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def worker_cpu(executor) -> float:
    import psutil

    pool = getattr(executor, "_pool", None)
    if pool is None:
        return 0.0
    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pool._processes)


def verdicts_hash(root: Path) -> str:
    digest = hashlib.sha1()
    for name in ("kept.jsonl", "rejected.jsonl", "funnel.json"):
        digest.update((root / "filtered" / name).read_bytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from agentscaler.execution.local import LocalExecutor
    from agentscaler.filter.stage import run_filter

    root = Path(tempfile.mkdtemp(prefix="filter-workers-")) / "run"
    root.mkdir()
    for name in os.listdir(args.run):
        if name not in ("filtered", "dataset", "report", ".stages"):
            (root / name).symlink_to(args.run.resolve() / name)
    executors = {1: LocalExecutor(1), args.workers: LocalExecutor(args.workers)}
    figures: dict[int, list[tuple[float, float, float]]] = {1: [], args.workers: []}
    hashes = set()
    try:
        for round_ in range(args.rounds + 1):
            for workers, executor in executors.items():
                shutil.rmtree(root / "filtered", ignore_errors=True)
                before = worker_cpu(executor)
                started, cpu = time.perf_counter(), time.process_time()
                run_filter(root, executor=executor)
                wall = time.perf_counter() - started
                parent = time.process_time() - cpu
                shards = worker_cpu(executor) - before
                hashes.add(verdicts_hash(root))
                if round_:  # the first round warms both up
                    figures[workers].append((wall, parent, shards))
                    print(
                        f"  {workers} worker(s): {wall:.2f} s wall, CPU parent {parent:.2f} s, "
                        f"workers {shards:.2f} s; load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
    finally:
        for executor in executors.values():
            executor.close()
        shutil.rmtree(root.parent, ignore_errors=True)

    def median(workers: int, index: int) -> float:
        return statistics.median(f[index] for f in figures[workers])

    one_wall, one_cpu = median(1, 0), median(1, 1)
    many_wall, parent, shards = (median(args.workers, i) for i in range(3))
    bound = one_cpu / (parent + shards / args.workers)
    print(f"verdicts identical: {len(hashes) == 1}")
    print(
        f"{args.workers} workers / 1 process: wall {one_wall / many_wall:.2f}x (load "
        f"{os.getloadavg()[0]:.1f}); CPU: 1 process {one_cpu:.2f} s, {args.workers} workers "
        f"{parent:.2f} s serial + {shards:.2f} s in shards; bound {bound:.2f}x"
    )


if __name__ == "__main__":
    main()

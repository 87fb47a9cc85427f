"""The filter stage on one process against a warm pool of worker processes, by wall and CPU time.

    python bench/filter_workers.py RUN [--workers 2] [--rounds 3] [--ray]

RUN is a finished run folder (e.g. ``WORKDIR/local-3000/run`` of ``bench/scale.py``); it is not
changed: the filter runs in a copy that links its inputs. The two settings alternate for
``--rounds`` rounds after one warm-up each (imports, tool code, unit registry: what the pool of an
``agentscaler run`` has by the filter stage), and the verdicts of both are checked to be the same.

On a machine shared with other jobs the wall-clock ratio says more about the load than about the
stage, so the CPU seconds are printed beside it: the parent's (the serial part: indexing, merging,
the stage marker) and the workers' (the shards). ``bound`` is the speedup the stage reaches when
every worker has a core of its own: one-process CPU / (parent CPU + worker CPU / workers).

``--ray`` adds a third setting in the same rounds: the filter on a local Ray of ``--workers`` CPUs
(started once, warmed up like the others), its wall time and CPU (the driver's and the Ray
workers') against the local executor's: Ray's overhead on this stage.
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

    if executor.name == "ray":  # Ray's workers (titled "ray::..."), under the raylet started here
        total = 0.0
        for process in psutil.Process().children(recursive=True):
            try:
                command = " ".join(process.cmdline())
                if command.startswith("ray::") or "default_worker.py" in command:
                    total += sum(process.cpu_times()[:2])
            except psutil.NoSuchProcess:
                continue
        return total
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
    parser.add_argument("--ray", action="store_true", help="also on a local Ray of --workers CPUs")
    args = parser.parse_args()

    from agentscaler.execution.local import LocalExecutor
    from agentscaler.filter.stage import run_filter

    root = Path(tempfile.mkdtemp(prefix="filter-workers-")) / "run"
    root.mkdir()
    for name in os.listdir(args.run):
        if name not in ("filtered", "dataset", "report", ".stages"):
            (root / name).symlink_to(args.run.resolve() / name)
    executors: dict = {1: LocalExecutor(1), args.workers: LocalExecutor(args.workers)}
    if args.ray:
        import ray

        from agentscaler.execution.ray import RayExecutor, init_ray

        init_ray()
        if ray.cluster_resources().get("CPU", 0) != args.workers:
            ray.shutdown()
            ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
        executors["ray"] = RayExecutor()
    figures: dict = {key: [] for key in executors}
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
                    label = "Ray" if workers == "ray" else f"{workers} worker(s)"
                    print(
                        f"  {label}: {wall:.2f} s wall, CPU parent {parent:.2f} s, "
                        f"workers {shards:.2f} s; load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
    finally:
        for executor in executors.values():
            executor.close()
        if args.ray:
            import ray

            ray.shutdown()
        shutil.rmtree(root.parent, ignore_errors=True)

    def median(workers: int | str, index: int) -> float:
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
    if args.ray:
        ray_wall, ray_parent, ray_shards = (median("ray", i) for i in range(3))
        print(
            f"Ray ({args.workers} CPUs) / local ({args.workers} workers): wall {ray_wall:.2f} s vs "
            f"{many_wall:.2f} s ({(ray_wall - many_wall) / ray_wall:+.1%} of the Ray stage); CPU "
            f"{ray_parent:.2f} s driver + {ray_shards:.2f} s in Ray workers vs {parent:.2f} s + "
            f"{shards:.2f} s"
        )


if __name__ == "__main__":
    main()

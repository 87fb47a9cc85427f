"""Evaluation runs: an agent on the held-out tasks of a run, verified and reported.

An evaluation lives in ``<run>/eval/<name>/``, itself a run folder: its ``tasks.jsonl`` holds the
held-out tasks (those export kept out of the training splits), and ``worlds``, ``states`` and
``domains.jsonl`` are links to the run's own, so episodes run in the same worlds. The simulation,
the filter and the report are the run's stages, pointed at that folder; rerunning resumes.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

from agentscaler.errors import EvaluationError
from agentscaler.evaluate.config import EvalConfig
from agentscaler.evaluate.outputs import ReportOutputs, report
from agentscaler.jsonl import iter_json_lines, write_text_atomic
from agentscaler.simulate.config import SimulateConfig
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)

_SHARED = ("worlds", "states", "domains.jsonl")


def eval_dir(root: Path, name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "eval"
    return Path(root) / "eval" / slug


def prepare_eval_folder(root: Path, name: str) -> Workspace:
    """Create (or check) ``<root>/eval/<name>/`` with the held-out tasks and links to the run."""
    from agentscaler.export.build import heldout_task_ids

    ws = Workspace(Path(root))
    wanted = set(heldout_task_ids(ws.root))
    if not wanted:
        raise EvaluationError(
            f"{ws.root} has no held-out tasks: export with a --heldout-fraction above 0 "
            f"(`agentscaler export {ws.root} --heldout-fraction 0.1 --force`)."
        )
    target = Workspace(eval_dir(ws.root, name))
    target.root.mkdir(parents=True, exist_ok=True)
    for shared in _SHARED:
        link = target.root / shared
        source = ws.require(
            ws.root / shared, "tasks" if shared == "states" else shared.split(".")[0]
        )
        if link.is_symlink() or link.exists():
            if link.resolve() != source.resolve():
                raise EvaluationError(f"{link} exists and does not point to {source}")
            continue
        link.symlink_to(os.path.relpath(source, target.root))
    lines = []
    with ws.require(ws.tasks, "tasks").open("rb") as handle:
        for raw in handle:
            if raw.strip() and _task_id(raw) in wanted:
                lines.append(raw.decode("utf-8").rstrip("\n") + "\n")
    text = "".join(lines)
    if not target.tasks.exists() or target.tasks.read_text(encoding="utf-8") != text:
        if target.episodes_dir.exists() and any(target.episodes_dir.iterdir()):
            raise EvaluationError(
                f"the held-out tasks of {ws.root} changed since {target.root} was simulated; "
                "evaluate under another --name"
            )
        write_text_atomic(target.tasks, text)
    return target


def _task_id(raw: bytes) -> str:
    import json

    return json.loads(raw)["id"]


def run_eval(
    root: Path,
    simulate_config: SimulateConfig,
    *,
    name: str,
    eval_config: EvalConfig | None = None,
    on_outcome: Callable | None = None,
) -> ReportOutputs:
    """Simulate the held-out tasks with ``simulate_config``'s policies, verify, and report."""
    from agentscaler.filter.stage import run_filter
    from agentscaler.simulate.build import simulate

    target = prepare_eval_folder(root, name)
    tasks = sum(1 for _ in iter_json_lines(target.tasks))
    log.info(
        "evaluating %d held-out tasks x %d trials in %s", tasks, simulate_config.trials, target.root
    )
    simulate(target.root, simulate_config, on_outcome=on_outcome)
    run_filter(target.root)
    return report(target.root, target.report_dir, eval_config)

"""PNG plots of a summary: pass^k curve, accuracy vs tool calls, per-domain bars, filter funnel.

Figures are drawn on matplotlib's Agg canvas through the object API (no pyplot, no global backend
switch); matplotlib is imported when a plot is drawn, not when this module is imported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from agentscaler.evaluate.summary import CallsRow, EvalSummary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

PLOT_FILES = {
    "pass_k": "pass_k.png",
    "calls": "accuracy_by_calls.png",
    "domains": "domains.png",
    "funnel": "funnel.png",
}
"""Plot name -> file name inside the report folder."""

_BLUE, _ORANGE, _GREEN, _RED, _GREY = "#3b6ea8", "#e08a2c", "#4c9a5b", "#c44e52", "#9a9a9a"


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png", metadata={"Software": None})
    tmp.replace(path)
    return path


def plot_pass_k(summary: EvalSummary, path: Path) -> Path:
    """pass^k (all k trials succeed) and pass@k (at least one does) against k."""
    fig = _figure(6.4, 4.0)
    ax = fig.add_subplot()
    rows = [r for r in summary.pass_k if r.pass_hat_k is not None]
    ks = [r.k for r in rows]
    ax.plot(ks, [r.pass_at_k for r in rows], "s--", color=_ORANGE, label="pass@k (any of k)")
    ax.plot(ks, [r.pass_hat_k for r in rows], "o-", color=_BLUE, lw=2, label="pass^k (all of k)")
    for r in rows:
        ax.annotate(
            f"{r.pass_hat_k:.3f}",
            (r.k, r.pass_hat_k),
            textcoords="offset points",
            xytext=(0, -14),
            ha="center",
            fontsize=8,
            color=_BLUE,
        )
    ax.set_xticks(ks or [1])
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("k (trials)")
    ax.set_ylabel("score")
    ax.set_title(f"pass^k and pass@k — {summary.source.name}")
    ax.grid(alpha=0.3)
    ax.legend(loc="center right")
    return _save(fig, path)


def _calls_axis(ax: Axes, rows: tuple[CallsRow, ...], title: str, color: str) -> None:
    labels = [r.label for r in rows]
    rates = [r.rate or 0.0 for r in rows]
    bars = ax.bar(range(len(rows)), rates, color=color, alpha=0.85)
    for bar, row in zip(bars, rows, strict=True):
        ax.annotate(
            f"n={row.total}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            textcoords="offset points",
            xytext=(0, 2),
            ha="center",
            fontsize=7,
        )
    ax.set_xticks(range(len(rows)), labels)
    ax.set_ylim(0, 1.1)
    ax.set_title(title)
    ax.set_ylabel("success rate")
    ax.grid(axis="y", alpha=0.3)
    if not rows:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)


def plot_calls(summary: EvalSummary, path: Path) -> Path:
    """Success rate by number of gold calls of the task and by number of agent calls."""
    fig = _figure(10.0, 3.8)
    left, right = fig.subplots(1, 2, sharey=True)
    _calls_axis(left, summary.by_gold_calls, "by gold tool calls of the task", _BLUE)
    _calls_axis(right, summary.by_agent_calls, "by tool calls the agent made", _GREEN)
    left.set_xlabel("gold calls")
    right.set_xlabel("agent calls")
    fig.suptitle("Accuracy vs number of tool calls")
    return _save(fig, path)


def plot_domains(summary: EvalSummary, path: Path, *, max_domains: int = 30) -> Path:
    """Success rate per domain (the ``max_domains`` domains with the most episodes)."""
    rows = sorted(summary.by_domain, key=lambda d: (-d.episodes, d.domain_id))[:max_domains]
    rows = sorted(rows, key=lambda d: (d.rate or 0.0, d.domain_id))
    fig = _figure(7.5, max(2.2, 0.9 + 0.32 * len(rows)))
    ax = fig.add_subplot()
    y = range(len(rows))
    bars = ax.barh(list(y), [r.rate or 0.0 for r in rows], color=_BLUE, alpha=0.85)
    for bar, row in zip(bars, rows, strict=True):
        ax.annotate(
            f"{(row.rate or 0):.2f}  ({row.successes}/{row.episodes - row.infrastructure})",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            textcoords="offset points",
            xytext=(3, 0),
            va="center",
            fontsize=7,
        )
    ax.set_yticks(list(y), [_short(r.name) for r in rows], fontsize=8)
    ax.set_xlim(0, 1.25)
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylim(-0.6, max(len(rows), 3) - 0.4)
    ax.set_xlabel("success rate")
    shown = (
        f" (top {len(rows)} of {len(summary.by_domain)})"
        if len(rows) < len(summary.by_domain)
        else ""
    )
    ax.set_title(f"Success by domain{shown}")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def _short(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def plot_funnel(summary: EvalSummary, path: Path) -> Path | None:
    """Episodes entering each filter stage and kept at the end, with the main drop reasons."""
    funnel = summary.funnel
    if funnel is None:
        return None
    labels = ["judged", *[f"after {s.stage}" for s in funnel.stages]]
    values = [funnel.episodes, *[s.passed for s in funnel.stages]]
    fig = _figure(7.5, 3.6)
    ax = fig.add_subplot()
    colors = [_GREY, *[_BLUE] * (len(values) - 2), _GREEN] if len(values) > 1 else [_GREY]
    bars = ax.barh(range(len(values))[::-1], values, color=colors, alpha=0.9)
    top = max(values) or 1
    for bar, stage_index in zip(bars, range(len(values)), strict=True):
        note = f"{values[stage_index]}"
        if stage_index > 0:
            stage = funnel.stages[stage_index - 1]
            reasons = sorted(stage.reasons.items(), key=lambda kv: -kv[1])[:3]
            why = ", ".join(f"{r} {n}" for r, n in reasons)
            note += f"   −{stage.rejected}" + (f" ({why})" if why else "")
        ax.annotate(
            note,
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            textcoords="offset points",
            xytext=(3, 0),
            va="center",
            fontsize=7,
        )
    ax.set_yticks(range(len(values))[::-1], labels)
    ax.set_xlim(0, top * 1.9)
    ax.set_xlabel("episodes")
    ax.set_title(f"Filter funnel: {funnel.kept} of {funnel.episodes} kept")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def write_plots(summary: EvalSummary, out_dir: Path, *, max_domains: int = 30) -> dict[str, Path]:
    """Draw every plot that has data into ``out_dir``; returns plot name -> written file."""
    out_dir = Path(out_dir)
    makers: dict[str, Callable[[EvalSummary, Path], Path | None]] = {
        "pass_k": plot_pass_k,
        "calls": plot_calls,
        "domains": lambda s, p: plot_domains(s, p, max_domains=max_domains),
        "funnel": plot_funnel,
    }
    written: dict[str, Path] = {}
    for name, make in makers.items():
        target = out_dir / PLOT_FILES[name]
        result = make(summary, target)
        if result is None:
            target.unlink(missing_ok=True)
            continue
        written[name] = result
        log.info("wrote %s", result)
    return written

"""Write a whole report folder: ``summary.json``, the PNG plots and ``index.html``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from agentscaler.evaluate.config import EvalConfig
from agentscaler.evaluate.readers import Advance, EvalData, read_source
from agentscaler.evaluate.summary import EvalSummary, build_summary
from agentscaler.jsonl import write_json
from agentscaler.runlock import run_lock
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportOutputs:
    out_dir: Path
    summary: EvalSummary
    summary_path: Path
    plots: dict[str, Path]
    html: Path | None


def default_out_dir(path: Path, config: EvalConfig | None = None) -> Path:
    """``<run>/report`` for a run folder, ``./report`` for a result file."""
    config = config or EvalConfig()
    path = Path(path)
    base = path if path.is_dir() else Path.cwd()
    return base / config.report_dirname


def write_report(
    data: EvalData,
    out_dir: Path,
    config: EvalConfig | None = None,
    *,
    html: bool = True,
) -> ReportOutputs:
    """Compute the summary of ``data`` and write it, its plots and (optionally) the HTML page."""
    config = config or EvalConfig()
    out_dir = Path(out_dir)
    if data.source.kind == "run":
        with run_lock(Path(data.source.path)):
            return _write_report(data, out_dir, config, html)
    return _write_report(data, out_dir, config, html)


def _write_report(data: EvalData, out_dir: Path, config: EvalConfig, html: bool) -> ReportOutputs:
    from agentscaler.evaluate.plots import write_plots
    from agentscaler.evaluate.report import write_html

    out_dir.mkdir(parents=True, exist_ok=True)
    summary = build_summary(data, config)
    summary_path = out_dir / "summary.json"
    write_json(summary_path, summary.to_json_dict())
    plots = write_plots(summary, out_dir, max_domains=config.plot_max_domains)
    page = write_html(out_dir, summary, data.episodes, plots, config) if html else None
    ws = Workspace(Path(data.source.path))
    if data.source.kind == "run" and out_dir.resolve() == ws.report_dir.resolve() and html:
        ws.mark_done(
            "report",
            settings=config.model_dump(mode="json"),
            summary={
                "out": str(out_dir),
                "episodes": summary.episodes,
                "pass_k": [r.pass_hat_k for r in summary.pass_k],
            },
        )
    log.info("wrote the report to %s", out_dir)
    return ReportOutputs(
        out_dir=out_dir, summary=summary, summary_path=summary_path, plots=plots, html=page
    )


def report(
    path: Path,
    out_dir: Path | None = None,
    config: EvalConfig | None = None,
    *,
    html: bool = True,
    advance: Advance | None = None,
) -> ReportOutputs:
    """Read ``path`` (run folder or tau-bench file) and write its report folder."""
    config = config or EvalConfig()
    data = read_source(path, config, advance=advance)
    return write_report(data, out_dir or default_out_dir(path, config), config, html=html)

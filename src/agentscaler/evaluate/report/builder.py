"""Build ``index.html``: summary tables rendered here, the episode browser rendered in the page.

Everything that comes from a run is escaped: tables through :func:`html.escape`, episode data as
JSON inside a non-executed ``application/json`` script whose ``<``, ``>`` and ``&`` are written as
``\\u`` escapes, displayed by the page's script through ``textContent`` only. A Content Security
Policy allows the page's own script (by hash) and nothing else, and no network access at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from html import escape
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from agentscaler import __version__
from agentscaler.evaluate.config import EvalConfig
from agentscaler.evaluate.summary import EvalSummary
from agentscaler.evaluate.trial import EpisodeView
from agentscaler.jsonl import write_text_atomic
from agentscaler.records.episode import Message

PLOT_CAPTIONS = {
    "pass_k": "pass^k falls as k grows: the share of tasks solved in all k of k trials.",
    "calls": "Success rate by the number of tool calls of the task (gold) and of the agent.",
    "domains": "Success rate per domain.",
    "funnel": "Episodes left after each filter stage, with the main reasons for dropping them.",
}


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _cut(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return (
        f"{text[:limit]}\n… [{len(text) - limit} more characters cut; the run folder has them all]"
    )


def _message(message: Message, limit: int) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": _cut(message.content, limit)}
    if message.tool_calls:
        out["calls"] = [
            {"id": c.id, "name": c.function.name, "arguments": _cut(c.function.arguments, limit)}
            for c in message.tool_calls
        ]
    if message.tool_call_id:
        out["callId"] = message.tool_call_id
    if message.name:
        out["name"] = message.name
    if message.reasoning_content:
        out["reasoning"] = _cut(message.reasoning_content, limit)
    return out


def episode_payload(view: EpisodeView, *, max_chars: int = 20_000) -> dict[str, Any]:
    """The JSON the page's script reads for one episode."""
    t = view.trial
    return {
        "id": t.episode_id,
        "task": t.task_id,
        "trial": t.trial,
        "domain": t.domain_id,
        "success": t.success,
        "infra": t.infrastructure,
        "kept": t.kept,
        "stage": t.stage,
        "reason": t.reason,
        "termination": t.termination,
        "gold": t.n_gold_calls,
        "goldCalls": list(view.gold_calls),
        "calls": t.n_agent_calls,
        "errors": t.tool_errors,
        "tokens": t.tokens,
        "reward": t.reward,
        "readOnly": t.read_only,
        "intent": _cut(view.intent, max_chars),
        "detail": _cut(view.detail, max_chars),
        "diff": [c.to_json_dict() for c in view.diff],
        "messages": [_message(m, max_chars) for m in view.messages],
    }


def _script_json(value: Any) -> str:
    """JSON that cannot end its ``<script>`` element or open a comment inside it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _table(headers: list[str], rows: Iterable[list[object]], numeric: set[int]) -> str:
    def cell(tag: str, i: int, value: object) -> str:
        cls = ' class="num"' if i in numeric else ""
        return f"<{tag}{cls}>{escape(str(value))}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "\n".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _card(label: str, value: str, sub: str = "") -> str:
    sub_html = f'<div class="sub">{escape(sub)}</div>' if sub else ""
    return (
        f'<div class="card"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div>{sub_html}</div>'
    )


def _cards(s: EvalSummary) -> str:
    last = s.pass_k[-1] if s.pass_k else None
    cards = [
        _card("tasks", str(s.tasks)),
        _card("episodes", str(s.episodes), f"{s.counted_episodes} counted"),
        _card("success rate", _pct(s.success.rate), f"{s.success.successes} of {s.success.total}"),
    ]
    for label, part in (("gold state", s.state_success), ("facts told", s.facts_success)):
        if part is not None:
            cards.append(_card(label, _pct(part.rate), f"{part.successes} of {part.total}"))
    cards += [
        _card("pass^1", _num(s.pass_hat(1))),
    ]
    if last is not None and last.k > 1:
        cards.append(_card(f"pass^{last.k}", _num(last.pass_hat_k), f"{last.tasks} tasks"))
    cards += [
        _card("infrastructure failures", str(s.infrastructure_failures)),
        _card(
            "error recovery",
            _pct(s.error_recovery.rate),
            f"{s.error_recovery.successes} of {s.error_recovery.total} with tool errors",
        ),
        _card(
            "tokens per success",
            "–" if s.tokens_per_success is None else f"{s.tokens_per_success:,.0f}",
        ),
    ]
    if s.funnel is not None:
        cards.append(_card("kept by the filter", str(s.funnel.kept), f"of {s.funnel.episodes}"))
    return "\n".join(cards)


def _pass_table(s: EvalSummary) -> str:
    rows = [[r.k, _num(r.pass_hat_k), _num(r.pass_at_k), r.tasks, r.excluded] for r in s.pass_k]
    table = _table(["k", "pass^k", "pass@k", "tasks", "tasks with n < k"], rows, {0, 1, 2, 3, 4})
    kinds = _table(
        ["task kind", "success", "episodes", "rate"],
        [[r.key, r.successes, r.total, _pct(r.rate)] for r in s.by_task_kind],
        {1, 2, 3},
    )
    scenarios = _table(
        ["scenario", "success", "episodes", "rate"],
        [[r.key, r.successes, r.total, _pct(r.rate)] for r in s.by_scenario],
        {1, 2, 3},
    )
    parts = f'{table}\n<h2 style="margin-top:12px">Read-only vs write tasks</h2>\n{kinds}'
    if s.by_scenario:
        parts += f'\n<h2 style="margin-top:12px">By scenario</h2>\n{scenarios}'
    return parts


def _funnel_section(s: EvalSummary) -> str:
    funnel = s.funnel
    if funnel is None:
        return ""
    rows = [
        [
            st.stage,
            st.input,
            st.rejected,
            st.passed,
            ", ".join(f"{r}: {n}" for r, n in sorted(st.reasons.items(), key=lambda kv: -kv[1])),
        ]
        for st in funnel.stages
    ]
    table = _table(["stage", "in", "rejected", "passed", "reasons"], rows, {1, 2, 3})
    note = (
        f"{funnel.kept} of {funnel.episodes} episodes kept; {funnel.error_recovered} of the kept "
        "episodes recovered from a tool error."
    )
    return (
        f'<section id="funnel">\n  <h2>Filter funnel</h2>\n{table}\n'
        f'  <p class="note">{escape(note)}</p>\n</section>'
    )


def _domain_table(s: EvalSummary) -> str:
    ks = list(range(1, s.max_k + 1))
    headers = ["domain", "id", "tasks", "episodes", "infra", "success", "rate"]
    headers += [f"pass^{k}" for k in ks]
    with_kept = any(d.kept is not None for d in s.by_domain)
    if with_kept:
        headers.append("kept")
    rows = []
    for d in s.by_domain:
        row: list[object] = [d.name, d.domain_id, d.tasks, d.episodes, d.infrastructure]
        row += [d.successes, _pct(d.rate), *(_num(v) for v in d.pass_hat_k)]
        if with_kept:
            row.append("" if d.kept is None else d.kept)
        rows.append(row)
    return _table(headers, rows, set(range(2, len(headers))))


def _dialogue_section(s: EvalSummary) -> str:
    """Scenario mix, data flow, turns, openings and closings, and conversations to read."""
    mix, dialogue = s.task_mix, s.dialogue
    if mix is None and dialogue is None:
        return ""
    parts = ['<section id="dialogues">', "  <h2>Tasks and dialogues</h2>"]
    if mix is not None:
        rows = [[kind, count, _pct(count / mix.tasks if mix.tasks else None)]
                for kind, count in mix.scenarios.items()]  # fmt: skip
        parts.append(_table(["scenario", "tasks", "share"], rows, {1, 2}))
        figures = [
            ["tasks with 2+ calls and a discovered value", _pct(mix.multi_with_discovery)],
            ["rule refusals or a detail to ask for", _pct(mix.refusal_or_ask)],
            ["discovered values per task", f"{mix.discovered_mean:.2f}"],
            ["values the agent must tell, per task", f"{mix.communicated_mean:.2f}"],
            ["chain lengths", ", ".join(f"{k}: {v}" for k, v in mix.lengths.items())],
        ]
        parts.append(_table(["tasks", "value"], figures, {1}))
    if dialogue is not None:
        opening = dialogue.top_openings[0] if dialogue.top_openings else None
        closing = dialogue.top_closings[0] if dialogue.top_closings else None
        figures = [
            ["episodes (offline)", f"{dialogue.episodes} ({dialogue.offline})"],
            ["user turns per episode (median, mean)",
             f"{dialogue.user_turns_median:g}, {dialogue.user_turns_mean:.2f}"],
            ["distinct openings", f"{dialogue.openings}" + (
                f" (most common '{opening.phrase}': {_pct(opening.share)})" if opening else "")],
            ["distinct closings", f"{dialogue.closings}" + (
                f" (most common '{closing.phrase}': {_pct(closing.share)})" if closing else "")],
        ]  # fmt: skip
        parts.append(_table(["dialogues", "value"], figures, {1}))
        for sample in dialogue.samples:
            lines = "\n".join(
                f'<div class="line {escape(line.role)}"><b>{escape(line.role)}</b> '
                f"{escape(_cut(line.text, 600) or '')}</div>"
                for line in sample.lines
            )
            parts.append(
                f"<details><summary>{escape(sample.scenario or 'task')} · "
                f"{escape(sample.domain_id)} · {escape(_cut(sample.intent, 160) or '')}</summary>"
                f"{lines}</details>"
            )
    parts.append("</section>")
    return "\n".join(parts)


def _plots(plots: Mapping[str, str]) -> str:
    if not plots:
        return '<p class="note">No plots were drawn.</p>'
    return "\n".join(
        f'<figure><img src="{escape(src)}" alt="{escape(name)} plot" loading="lazy">'
        f"<figcaption>{escape(PLOT_CAPTIONS.get(name, name))}</figcaption></figure>"
        for name, src in plots.items()
    )


def render_html(
    summary: EvalSummary,
    episodes: Iterable[EpisodeView],
    plots: Mapping[str, str],
    config: EvalConfig | None = None,
) -> str:
    """The report page; ``plots`` maps plot names to image paths relative to the page."""
    config = config or EvalConfig()
    js = _asset("report.js")
    script_hash = "sha256-" + base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode()
    data = {
        "domains": {d.domain_id: d.name for d in summary.by_domain},
        "pageSize": config.page_size,
        "episodes": [episode_payload(v, max_chars=config.max_message_chars) for v in episodes],
    }
    infra = "left out of" if not summary.include_infrastructure else "counted as failures in"
    note = (
        f"Infrastructure failures ({summary.infrastructure_failures}) are {infra} every success "
        "rate and pass^k. pass^k is the mean over tasks of C(c,k)/C(n,k) (c successes of n "
        "trials); tasks with fewer than k trials are left out at that k."
    )
    title = f"agentscaler report: {summary.source.name}"
    return Template(_asset("template.html")).substitute(
        title=escape(title),
        version=escape(__version__),
        source=escape(f"{summary.source.kind}: {summary.source.path}"),
        css=_asset("report.css"),
        script_hash=script_hash,
        cards=_cards(summary),
        summary_note=escape(note),
        pass_table=_pass_table(summary),
        funnel_section=_funnel_section(summary),
        domain_table=_domain_table(summary),
        dialogue_section=_dialogue_section(summary),
        plots=_plots(plots),
        data=_script_json(data),
        js=js,
    )


def write_html(
    out_dir: Path,
    summary: EvalSummary,
    episodes: Iterable[EpisodeView],
    plots: Mapping[str, Path],
    config: EvalConfig | None = None,
) -> Path:
    """Write ``out_dir/index.html`` (atomically); plots are linked relative to it."""
    out_dir = Path(out_dir)
    relative = {
        name: Path(os.path.relpath(Path(p).resolve(), out_dir.resolve())).as_posix()
        for name, p in plots.items()
    }
    path = out_dir / "index.html"
    write_text_atomic(path, render_html(summary, episodes, relative, config))
    return path

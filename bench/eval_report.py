"""Throughput of evaluation: pass^k, the tau-bench reader and the HTML report at 10k episodes.

Run: ``python bench/eval_report.py [--episodes N] [--browser]``. Each figure is printed next to a
baseline measured in the same run (pure-Python binomials for pass^k, a bare ``json.dumps`` of
the same episodes for the page).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

from agentscaler.evaluate import metrics
from agentscaler.evaluate.config import EvalConfig
from agentscaler.evaluate.readers import EvalData, read_tau_bench
from agentscaler.evaluate.report import episode_payload, write_html
from agentscaler.evaluate.summary import build_summary
from agentscaler.evaluate.trial import EpisodeView, Source, Trial
from agentscaler.records import Message, ToolCall, ToolCallFunction

TAU_FILE = (
    Path(__file__).resolve().parents[1].parent / "shared/external/tau-bench/gpt-4o-airline.json"
)


def timed(fn, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_pass_k(tasks: int, trials: int, k: int) -> None:
    rng = np.random.default_rng(0)
    n = np.full(tasks, trials)
    c = rng.integers(0, trials + 1, size=tasks)
    ours, value = timed(lambda: metrics.pass_hat_k(n, c, k).value)
    base, expected = timed(
        lambda: sum(math.comb(int(ci), k) / math.comb(trials, k) for ci in c) / tasks, repeat=1
    )
    assert abs(value - expected) < 1e-9
    print(
        f"pass^{k} over {tasks:,} tasks x {trials} trials: {ours * 1e3:.1f} ms "
        f"(math.comb loop {base * 1e3:.1f} ms, {base / ours:.1f}x)"
    )


def synthetic(count: int) -> list[EpisodeView]:
    views = []
    for i in range(count):
        trial = Trial(
            task_id=f"t{i // 4}",
            trial=i % 4,
            episode_id=f"ep-{i}",
            domain_id=f"d{i % 40}",
            domain=f"domain {i % 40}",
            success=i % 3 == 0,
            n_gold_calls=i % 7,
            n_agent_calls=i % 9,
            read_only=i % 5 == 0,
            tool_errors=i % 4 == 1,
            tokens=900 + i,
        )
        call = ToolCall(
            id=f"c{i}",
            function=ToolCallFunction(name="get_order", arguments=json.dumps({"order_id": i})),
        )
        messages = (
            Message(role="system", content="You are a support agent. " * 40),
            Message(role="user", content=f"Please look at order ORD-{i}. " * 4),
            Message(role="assistant", tool_calls=(call,)),
            Message(
                role="tool",
                tool_call_id=f"c{i}",
                name="get_order",
                content=json.dumps({"id": i, "status": "paid", "items": list(range(20))}),
            ),
            Message(role="assistant", content=f"Order ORD-{i} is paid. " * 6),
            Message(role="user", content="Thanks ###STOP###"),
        )
        views.append(EpisodeView(trial=trial, intent=f"Check order ORD-{i}.", messages=messages))
    return views


def bench_html(count: int, browser: bool) -> None:
    views = synthetic(count)
    config = EvalConfig()
    data = EvalData(
        source=Source(kind="tau-bench", path="synthetic", name="synthetic"), episodes=tuple(views)
    )
    summary = build_summary(data, config)
    with tempfile.TemporaryDirectory() as tmp:
        ours, page = timed(lambda: write_html(Path(tmp), summary, views, {}, config))
        base, _ = timed(lambda: json.dumps([episode_payload(v) for v in views]))
        size = page.stat().st_size / 1e6
        print(
            f"index.html for {count:,} episodes: {ours:.2f} s, {count / ours:,.0f} episodes/s, "
            f"{size:.1f} MB (bare json.dumps of the payload {base:.2f} s, ratio {ours / base:.2f})"
        )
        if browser:
            bench_browser(page, count)


def bench_browser(page: Path, count: int) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            start = time.perf_counter()
            driver.get(page.as_uri())
            WebDriverWait(driver, 300).until(
                lambda d: d.execute_script("return document.body.dataset.ready === 'true'")
            )
            ready = time.perf_counter() - start
            search_ms = driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "const count = document.getElementById('episode-count'); const before = count.textContent;"
                "const box = document.getElementById('f-search'); const t = performance.now();"
                "box.value = 'ORD-777 paid'; box.dispatchEvent(new Event('input'));"
                "(function poll() { if (count.textContent !== before) done(performance.now() - t);"
                " else setTimeout(poll, 2); })();"
            )
            print(
                f"chromium: {count:,}-episode page ready in {ready:.2f} s; first full-text search "
                f"answered {search_ms:.0f} ms after typing (150 ms of it is the input debounce)"
            )
        finally:
            driver.quit()


def bench_tau() -> None:
    if not TAU_FILE.exists():
        print(f"tau-bench file absent ({TAU_FILE}); skipped")
        return
    seconds, data = timed(lambda: read_tau_bench(TAU_FILE))
    summary_s, summary = timed(lambda: build_summary(data))
    print(
        f"tau-bench reader: {len(data.episodes)} trials in {seconds * 1e3:.0f} ms "
        f"({len(data.episodes) / seconds:,.0f} trials/s); summary {summary_s * 1e3:.1f} ms; "
        f"pass^1..4 = {', '.join(f'{r.pass_hat_k:.3f}' for r in summary.pass_k)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument(
        "--browser", action="store_true", help="also time the page in headless Chromium"
    )
    args = parser.parse_args()
    bench_pass_k(100_000, 8, 4)
    bench_tau()
    bench_html(args.episodes, args.browser)
    sys.stdout.flush()


if __name__ == "__main__":
    main()

"""The static HTML report: escaping and embedding (no browser), then real headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from pathlib import Path

import pytest

from agentscaler.evaluate.config import EvalConfig
from agentscaler.evaluate.outputs import report
from agentscaler.evaluate.readers import EvalData, read_source
from agentscaler.evaluate.report import episode_payload, render_html, write_html
from agentscaler.evaluate.summary import build_summary
from agentscaler.evaluate.trial import EpisodeView, Source, Trial
from agentscaler.records import Message, ToolCall, ToolCallFunction


def _data_block(html: str) -> str:
    match = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S
    )
    assert match, "no embedded data"
    return match.group(1)


def test_untrusted_text_is_escaped_and_data_round_trips(tmp_path, make_run_folder):
    fixture = make_run_folder(tmp_path / "run<b>bold</b>")
    data = read_source(fixture.root)
    summary = build_summary(data)
    html = render_html(summary, data.episodes, {"pass_k": "pass_k.png"})
    assert fixture.xss not in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    # exactly two script elements: the data block and the page's own script
    assert len(re.findall(r"<script\b", html)) == 2
    embedded = json.loads(_data_block(html))
    assert embedded["episodes"] == [episode_payload(v) for v in data.episodes]
    assert any(
        fixture.xss in (m["content"] or "") for e in embedded["episodes"] for m in e["messages"]
    )
    # the Content Security Policy allows exactly the inline script that is in the page
    script = re.search(r"<script>(.*)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_long_messages_are_cut_in_the_page_only(tmp_path):
    trial = Trial(task_id="t", trial=0, episode_id="e", domain_id="d", domain="d", success=True)
    long = "x" * 5000
    view = EpisodeView(trial=trial, messages=(Message(role="user", content=long),))
    payload = episode_payload(view, max_chars=1000)
    content = payload["messages"][0]["content"]
    assert content.startswith("x" * 1000) and "4000 more characters cut" in content
    assert episode_payload(view)["messages"][0]["content"] == long


def test_plots_are_pngs_and_pyplot_stays_unloaded(tmp_path, run_folder):
    code = (
        "import sys; from agentscaler.evaluate.outputs import report; "
        f"out = report({str(run_folder.root)!r}, html=False); "
        "import matplotlib.image as im; "
        "print(sorted((n, im.imread(p).shape[2]) for n, p in out.plots.items())); "
        "print('matplotlib.pyplot' in sys.modules)"
    )
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    lines = result.stdout.strip().splitlines()
    assert lines[0] == str(sorted((n, 4) for n in ("calls", "domains", "funnel", "pass_k")))
    assert lines[1] == "False"


def test_cli_module_imports_nothing_heavy():
    import subprocess

    code = "import sys, agentscaler.cli.eval; print(sorted(m for m in ('numpy', 'matplotlib', 'pydantic') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "numpy" not in out.stdout and "matplotlib" not in out.stdout


# --- real headless Chromium --------------------------------------------------------------------------


def _wait_ready(driver, timeout: float = 60) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.body.dataset.ready === 'true'")
    )


def _rows(driver) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#episode-rows tr")


def _count(driver) -> str:
    return driver.find_element("id", "episode-count").text


def _select(driver, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", element_id)).select_by_value(value)


def _search(driver, text: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    box = driver.find_element("id", "f-search")
    box.clear()
    if text:
        box.send_keys(text)
    else:  # clear() fires no input event
        driver.execute_script("arguments[0].dispatchEvent(new Event('input'))", box)
    expected = text.lower().split()
    WebDriverWait(driver, 10).until(
        lambda d: (
            d.execute_script(
                "return document.getElementById('f-search').value.toLowerCase().split(/\\s+/).filter(Boolean)"
            )
            == expected
        )
    )
    driver.execute_script("return new Promise(r => setTimeout(r, 400))")


def test_report_in_chromium(browser, run_folder, tmp_path):
    from selenium.webdriver.common.by import By

    plan = run_folder.plan
    outputs = report(run_folder.root)
    assert outputs.html is not None
    browser.get(outputs.html.as_uri())
    _wait_ready(browser)

    # the page renders: summary, tables, plots loaded from disk by relative path
    assert run_folder.root.name in browser.find_element(By.TAG_NAME, "h1").text
    assert "pass^k and pass@k" in browser.find_element("id", "pass-k").text
    assert "order refund" in browser.find_element("id", "domains").text
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])"
    )
    assert sorted(src for src, _ in images) == sorted(p.name for p in outputs.plots.values())
    assert all(ok for _, ok in images), images
    assert _count(browser) == f"{len(plan)} of {len(plan)} episodes"
    assert len(_rows(browser)) == len(plan)

    # filters: domain, outcome, verdict reason, text search
    _select(browser, "f-domain", "d0002-flights")
    flights = [p for p in plan if p.domain_id == "d0002-flights"]
    assert _count(browser).startswith(f"{len(flights)} of")
    assert {r.find_elements(By.TAG_NAME, "td")[4].text for r in _rows(browser)} == {
        "flight booking"
    }
    _select(browser, "f-outcome", "infrastructure")
    assert len(_rows(browser)) == sum(p.infra for p in flights)
    _select(browser, "f-domain", "")
    assert len(_rows(browser)) == sum(p.infra for p in plan)
    _select(browser, "f-outcome", "")
    _select(browser, "f-verdict", "reason:state_mismatch")
    assert len(_rows(browser)) == sum(p.letter in "FE" for p in plan)
    _select(browser, "f-verdict", "kept")
    assert len(_rows(browser)) == sum(p.letter in "SR" for p in plan)
    _select(browser, "f-verdict", "")
    _search(browser, run_folder.needle.upper())
    rows = _rows(browser)
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows] == ["ep-l2-3"]
    _search(browser, "")
    assert len(_rows(browser)) == len(plan)

    # open an episode whose user message holds a script: shown as text, never run
    _search(browser, "ep-o2-0")
    _rows(browser)[0].click()
    detail = browser.find_element("id", "episode-detail")
    assert "ep-o2-0" in detail.find_element(By.TAG_NAME, "h3").text
    user_texts = [e.text for e in detail.find_elements(By.CSS_SELECTOR, ".msg.user .msg-text")]
    assert any(run_folder.xss in t for t in user_texts)
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    assert detail.find_elements(By.CSS_SELECTOR, "script, img") == []
    # tool calls with pretty-printed arguments, tool results, a recovered tool error
    args = [e.text for e in detail.find_elements(By.CSS_SELECTOR, "pre.arguments")]
    assert args and all('\n  "id": ' in a for a in args)
    assert [e.text for e in detail.find_elements(By.CSS_SELECTOR, ".call-name")][:3] == [
        "get_order",
        "get_order",
        "cancel_order",
    ]
    errors = detail.find_elements(By.CSS_SELECTOR, ".msg.tool.error")
    assert len(errors) == 1 and "not_found" in errors[0].text
    assert "kept" in detail.text and browser.current_url.endswith("#episode=ep-o2-0")

    # an episode rejected for a state mismatch shows its verdict and state diff
    _search(browser, "ep-o2-2")
    _rows(browser)[0].click()
    detail = browser.find_element("id", "episode-detail")
    assert "rejected: state_mismatch (state)" in detail.text
    diff_rows = detail.find_elements(By.CSS_SELECTOR, "table.diff tr")
    assert len(diff_rows) == 3  # header + two changes
    assert "<b>x</b>" in diff_rows[2].text

    shot = tmp_path / "report-chromium.png"
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, min(height + 40, 4000))
    browser.execute_script("window.scrollTo(0, 0)")
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")

    # a link to an episode opens it, on load and when the address changes
    def heading() -> str:
        return browser.find_element("id", "episode-detail").find_element(By.TAG_NAME, "h3").text

    browser.get(outputs.html.as_uri() + "#episode=ep-f1-2")
    assert "ep-f1-2" in heading()
    browser.refresh()
    _wait_ready(browser)
    assert "ep-f1-2" in heading()
    browser.get(outputs.html.as_uri() + "#episode=ep-l1-3")
    assert "ep-l1-3" in heading()
    severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == [], severe


def _synthetic_views(count: int) -> list[EpisodeView]:
    views = []
    for i in range(count):
        trial = Trial(
            task_id=f"task-{i // 4:05d}",
            trial=i % 4,
            episode_id=f"ep-{i:05d}",
            domain_id=f"d{i % 40:03d}",
            domain=f"domain {i % 40}",
            success=i % 3 == 0,
            infrastructure=i % 97 == 0,
            n_gold_calls=i % 7,
            n_agent_calls=i % 9,
            read_only=i % 5 == 0,
            tool_errors=i % 4 == 1,
            tokens=900 + i,
            kept=i % 3 == 0,
            reason=None if i % 3 == 0 else "state_mismatch",
            stage=None if i % 3 == 0 else "state",
        )
        call = ToolCall(
            id=f"c{i}",
            function=ToolCallFunction(
                name="get_order", arguments=json.dumps({"order_id": f"ORD-{i}"})
            ),
        )
        messages = (
            Message(role="system", content="You are a support agent. " * 20),
            Message(role="user", content=f"Please look at order ORD-{i}; it is urgent. " * 3),
            Message(role="assistant", tool_calls=(call,)),
            Message(
                role="tool",
                tool_call_id=f"c{i}",
                name="get_order",
                content=json.dumps({"id": f"ORD-{i}", "status": "paid", "items": list(range(10))}),
            ),
            Message(role="assistant", content=f"Order ORD-{i} is paid and will ship soon. " * 3),
            Message(role="user", content="Thanks ###STOP###"),
        )
        views.append(
            EpisodeView(
                trial=trial,
                intent=f"You want the status of order ORD-{i}.",
                messages=messages,
                gold_calls=("get_order",),
            )
        )
    return views


@pytest.mark.slow
def test_ten_thousand_episodes_stay_usable(browser, tmp_path):
    from selenium.webdriver.common.by import By

    views = _synthetic_views(10_000)
    data = EvalData(
        source=Source(kind="tau-bench", path=str(tmp_path), name="synthetic"), episodes=tuple(views)
    )
    config = EvalConfig()
    page = write_html(tmp_path, build_summary(data, config), views, {}, config)
    browser.get(page.as_uri())
    _wait_ready(browser, timeout=120)
    assert _count(browser) == "10000 of 10000 episodes"
    assert len(_rows(browser)) == config.page_size
    browser.find_element("id", "episode-more").click()
    assert len(_rows(browser)) == 2 * config.page_size
    _search(browser, "ORD-9876 urgent")
    rows = _rows(browser)
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows] == ["ep-09876"]
    rows[0].click()
    assert "ep-09876" in browser.find_element("id", "episode-detail").text
    _select(browser, "f-domain", "d007")
    assert _count(browser).startswith("0 of")  # the search still applies
    _search(browser, "")
    assert (
        _count(browser)
        == f"{sum(1 for v in views if v.trial.domain_id == 'd007')} of 10000 episodes"
    )
    assert Path(page).stat().st_size < 60 * 1024 * 1024

"""The README's main job, as a user runs it: `agentscaler run --out DIR` with every default
(built-in catalog, MiniLM embeddings, offline policies), then the report in a real Chromium."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentscaler.pipeline.run import STAGE_NAMES
from agentscaler.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parent))
from conftest import outputs

REPORT_WAIT_S = 180
"""How long the page may take to be ready and to decode its plots: on a loaded 2-core machine a
minute ran out (each wait ends as soon as its condition holds)."""


@pytest.mark.slow
def test_default_run_completes_and_its_report_renders(tmp_path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    root = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", "run", "--out", str(root)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for stage in STAGE_NAMES:
        assert f"│ {stage}" in done.stdout, f"no line for {stage} in the final table"
    for stage, path in outputs(root).items():
        assert path.exists(), f"{stage} left no {path}"
    ws = Workspace(root)
    config = json.loads(ws.run_json.read_text())
    assert config["graph"]["embedder"] == "minilm" and config["sources"] == ["builtin"]
    summary = json.loads((ws.report_dir / "summary.json").read_text())
    funnel = json.loads((ws.filtered_dir / "funnel.json").read_text())
    assert summary["episodes"] == funnel["episodes"] > 0
    assert funnel["kept"] >= 0.99 * funnel["episodes"]  # offline oracle episodes reach the gold
    manifest = json.loads((ws.dataset_dir / "manifest.json").read_text())
    assert manifest["splits"]["stage1"]["rows"] > 0

    browser.get((ws.report_dir / "index.html").as_uri())
    WebDriverWait(browser, REPORT_WAIT_S).until(
        lambda d: d.execute_script("return document.body.dataset.ready === 'true'")
    )
    assert root.name in browser.find_element(By.TAG_NAME, "h1").text
    rows = browser.find_elements(By.CSS_SELECTOR, "#episode-rows tr")
    assert rows, "the episode list is empty"
    # a loaded page may still be decoding its plots: wait until every image has loaded or
    # failed, then require each to have loaded (a broken image is complete with no width)
    WebDriverWait(browser, REPORT_WAIT_S).until(
        lambda d: d.execute_script("return Array.from(document.images).every(i => i.complete)")
    )
    images = browser.execute_script(
        "return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)"
    )
    assert images and all(images), images
    domain = browser.find_element("id", "f-domain")
    options = [o.get_attribute("value") for o in domain.find_elements(By.TAG_NAME, "option")]
    choice = next(o for o in options if o)
    from selenium.webdriver.support.ui import Select

    Select(domain).select_by_value(choice)
    filtered = browser.find_elements(By.CSS_SELECTOR, "#episode-rows tr")
    assert 0 < len(filtered) < len(rows) or len(options) == 2
    filtered[0].click()
    detail = browser.find_element("id", "episode-detail")
    assert detail.find_elements(By.CSS_SELECTOR, ".call-name"), "the episode shows no tool call"
    assert "kept" in detail.text
    shot = tmp_path / "main-job-report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == [], severe

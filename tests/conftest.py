"""Shared fixtures: the external reference data, temporary run folders, CLI runner."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before anything imports torch
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = REPO_ROOT.parent / "shared" / "external"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def external_path(relative: str) -> Path:
    """Path of a file under ../shared/external; skip locally, fail under CI=true, when absent."""
    path = EXTERNAL / relative
    if not path.exists():
        message = f"external test data {path} is missing (see ../shared/external/README.md)"
        if IN_CI:
            pytest.fail(message + "; CI=true requires it")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session", autouse=True)
def agentscaler_cache(tmp_path_factory):
    """A fresh cache folder for the session (tokenizers, compiled tool code), never the user's."""
    path = tmp_path_factory.mktemp("agentscaler-cache")
    previous = os.environ.get("AGENTSCALER_CACHE_DIR")
    os.environ["AGENTSCALER_CACHE_DIR"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("AGENTSCALER_CACHE_DIR", None)
    else:
        os.environ["AGENTSCALER_CACHE_DIR"] = previous


@pytest.fixture
def external():
    """Callable fixture: ``external("bfcl/BFCL_v4_simple_python.json")`` -> Path."""
    return external_path


@pytest.fixture
def cli():
    """Invoke the agentscaler CLI in-process: ``cli("tools", "stats", "builtin")`` -> Result."""
    from typer.testing import CliRunner

    from agentscaler.cli.app import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory):
    """A Selenium driver on Debian's chromium + chromedriver (skips locally, fails in CI if absent)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing or shutil.which("chromium") is None:
        message = f"{', '.join(missing) or 'chromium'} not installed (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(message + "; CI=true requires it")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()

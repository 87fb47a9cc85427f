"""Compiled tool code is reused across processes, and never lets refused code through."""

from __future__ import annotations

import pytest

from agentscaler.errors import UnsafeCodeError
from agentscaler.worlds.runtime import code_cache, sandbox

SOURCE = '''"""doc"""

LIMIT = 3


@tool(kind="read", operation="compute")
def double(db, x):
    total = 0
    for step in range(2):
        total += x + step - step
    return min(total, LIMIT * 100)
'''


@pytest.fixture
def checks(monkeypatch, tmp_path):
    """Count the sandbox's source checks; a fresh, empty cache folder."""
    monkeypatch.setenv("AGENTSCALER_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    check = sandbox.check_source

    def counted(*args, **kwargs):
        calls.append(args[0])
        return check(*args, **kwargs)

    monkeypatch.setattr(sandbox, "check_source", counted)
    return calls


def _run(source: str = SOURCE) -> int:
    registry = {}

    def tool(**options):
        def register(function):
            registry[function.__name__] = function
            return function

        return register

    sandbox.execute(source, {"tool": tool})
    return registry["double"](None, 21)


def _entries(tmp_path):
    return sorted((tmp_path / "cache" / "code").rglob("*.bin"))


def test_checked_code_is_compiled_once(checks, tmp_path):
    assert _run() == 42
    assert len(checks) == 1 and len(_entries(tmp_path)) == 1
    assert _run() == 42, "the cached code behaves as the freshly checked code"
    assert len(checks) == 1, "the second load used the cache"
    assert _run(SOURCE.replace("range(2)", "range(3)")) == 63
    assert len(checks) == 2 and len(_entries(tmp_path)) == 2


def test_refused_code_is_refused_every_time_and_never_stored(checks, tmp_path):
    unsafe = SOURCE.replace("total = 0", "import os\n    total = 0")
    for attempt in (1, 2):
        with pytest.raises(UnsafeCodeError, match="import statements"):
            _run(unsafe)
        assert len(checks) == attempt
    assert _entries(tmp_path) == []


def test_a_changed_sandbox_checks_again(checks, monkeypatch):
    _run()
    monkeypatch.setattr(code_cache, "_sandbox_fingerprint", lambda: b"another sandbox")
    _run()
    assert len(checks) == 2


def test_a_corrupt_entry_is_rebuilt(checks, tmp_path):
    _run()
    (entry,) = _entries(tmp_path)
    entry.write_bytes(b"\x00not marshal data")
    assert _run() == 42
    assert len(checks) == 2
    _run()
    assert len(checks) == 2, "the rebuilt entry is used again"


def test_an_unwritable_cache_folder_only_costs_time(checks, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("AGENTSCALER_CACHE_DIR", str(blocker))
    assert _run() == 42 and _run() == 42
    assert len(checks) == 2


def test_the_cached_code_is_the_instrumented_code(checks):
    import marshal

    def build():
        tree = sandbox.instrument(sandbox.check_source(SOURCE, "tools.py"))
        return compile(tree, "tools.py", "exec")

    fresh = code_cache.cached_code(SOURCE, "tools.py", 2_000_000, build)
    again = code_cache.cached_code(SOURCE, "tools.py", 2_000_000, lambda: None)
    assert marshal.dumps(again) == marshal.dumps(fresh)
    assert "_tick" in marshal.dumps(again).decode("latin-1"), "budget checks are in the code"

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


def test_an_entry_replaced_by_other_code_is_not_run(checks, tmp_path, caplog):
    """Whoever writes into the cache cannot make a world run their code."""
    import marshal

    _run()
    (entry,) = _entries(tmp_path)
    evil = compile("def double(db, x):\n    return 666\n", "tools.py", "exec")
    data = entry.read_bytes()
    header = data[: len(code_cache.MAGIC) + 32]
    entry.write_bytes(header + marshal.dumps(evil))  # the old seal on new code
    assert _run() == 42
    assert "failed its content check" in caplog.text
    assert len(checks) == 2


def test_an_entry_of_other_source_moved_in_place_is_not_run(checks, tmp_path):
    other = SOURCE.replace("range(2)", "range(5)")
    assert _run(other) == 105
    (entry,) = _entries(tmp_path)
    key = code_cache.cache_key(SOURCE, "tools.py", 2_000_000)
    target = entry.parent.parent / key[:2] / f"{key}.bin"
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(entry.read_bytes())  # a valid entry, but sealed for another key
    assert _run() == 42
    assert len(checks) == 2


def test_a_cache_folder_others_can_write_is_not_used(checks, tmp_path, caplog):
    import os

    folder = tmp_path / "cache"
    folder.mkdir(mode=0o777)
    os.chmod(folder, 0o777)
    assert _run() == 42 and _run() == 42
    assert len(checks) == 2, "nothing is read from (or stored in) the shared folder"
    assert _entries(tmp_path) == []
    assert f"not cached in {folder}" in caplog.text and "writable by other users" in caplog.text
    os.chmod(folder, 0o700)
    _run()
    _run()
    assert len(checks) == 3, "once the folder is private the cache works again"
    assert oct((folder / "code").stat().st_mode & 0o777) == "0o700"

"""Adversarial tool code: refused before it runs, or stopped with a clear error; nothing escapes."""

from __future__ import annotations

import os

import pytest

from agentscaler.errors import UnsafeCodeError
from agentscaler.worlds.compiler import write_world
from agentscaler.worlds.runtime.loader import load_world, run_tool_code
from agentscaler.worlds.runtime.sandbox import check_source

HEADER = '@tool(kind="read", operation="compute")\ndef probe(db):\n'

REFUSED = {
    "import os": ("    import os\n    return os.getcwd()\n", "import statements are not allowed"),
    "from import": ("    from os import path\n    return 1\n", "import statements are not allowed"),
    "open": ("    return open('/etc/passwd').read()\n", "open is not allowed"),
    "__import__": ("    return __import__('os').system('true')\n", "underscore"),
    "dunder escape": ("    return ().__class__.__bases__[0].__subclasses__()\n", "underscore"),
    "eval": ("    return eval('1 + 1')\n", "eval is not allowed"),
    "exec": ("    exec('x = 1')\n    return 1\n", "exec is not allowed"),
    "compile": ("    return compile('1', 'f', 'eval')\n", "compile is not allowed"),
    "getattr": ("    return getattr(db, '_conn')\n", "getattr is not allowed"),
    "globals": ("    return globals()\n", "globals is not allowed"),
    "private attribute": ("    return db._conn.execute('select 1').fetchall()\n", "underscore"),
    "format escape": ("    return '{0.__class__}'.format(db)\n", ".format is not allowed"),
    "frame escape": (
        "    g = (x for x in [1])\n    return g.gi_frame\n",
        ".gi_frame is not allowed",
    ),
    "type": ("    return type(db)\n", "type is not allowed"),
    "bare except": ("    try:\n        return 1\n    except:\n        return 2\n", "bare except"),
    "global": ("    global x\n    return 1\n", "global statements"),
    "class": ("    class A:\n        pass\n    return 1\n", "class definitions"),
    "huge f-string width": ("    return f'{1:>100000000}'\n", "format widths"),
}


@pytest.mark.parametrize("label", sorted(REFUSED))
def test_unsafe_code_is_refused_with_its_line(label):
    body, message = REFUSED[label]
    source = '"""doc"""\n\n\n' + HEADER + body
    with pytest.raises(UnsafeCodeError) as info:
        check_source(source, "tools.py")
    text = str(info.value)
    assert text.startswith("tools.py:")
    line = int(text.split(":")[1])
    assert line >= 5  # the offending line inside probe, not the header
    assert message in text


def test_top_level_code_is_refused():
    for source, message in [
        ("import os\n", "import statements"),
        ("x = open('f')\n", "open is not allowed"),
        ("x = len('f')\n", "literal constants"),
        ("len('hi')\n", "top level"),
        ("@sorted\ndef f(db):\n    return 1\n", "decorator"),
        ("while True:\n    pass\n", "top level"),
    ]:
        with pytest.raises(UnsafeCodeError, match=message):
            check_source(source)


def _world_with_probe(world, tmp_path, body: str):
    """The world with get_order's body replaced by ``body`` (as a user would edit tools.py)."""
    folder = write_world(world, tmp_path / "w")
    source = (folder / "tools.py").read_text()
    start = source.index("def get_order(")
    end = source.index("\n\n\n", start)
    header = source[start : source.index('"""', source.index('"""', start) + 3) + 3]
    (folder / "tools.py").write_text(source[:start] + header + "\n" + body + source[end:])
    return folder


def test_an_unsafe_edit_is_refused_on_load_naming_the_line(shop, tmp_path):
    folder = _world_with_probe(shop, tmp_path, "    import os\n    return os.listdir('.')\n")
    lines = (folder / "tools.py").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip() == "import os")
    with pytest.raises(
        UnsafeCodeError, match=rf"tools.py:{line}: import statements are not allowed"
    ):
        load_world(folder)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("    while True:\n        pass\n", "time limit"),
        ("    n = 0\n    for i in range(10**12):\n        n += i\n    return n\n", "limit"),
        ("    x = 'a' * 10**10\n    return x\n", "limit"),
        ("    x = [1]\n    while True:\n        x = x + x\n", "limit"),
        ("    x = []\n    while True:\n        x.append('y' * 100000)\n", "limit"),
        ("    x = 2\n    while True:\n        x = x * x\n", "limit"),
        ("    return 10 ** 10 ** 10\n", "limit"),
    ],
    ids=[
        "infinite loop",
        "huge range",
        "huge string",
        "doubling",
        "memory loop",
        "big ints",
        "power",
    ],
)
def test_runaway_code_is_stopped_as_a_domain_error_of_that_call(shop, tmp_path, body, reason):
    folder = _world_with_probe(shop, tmp_path, body)
    world = load_world(folder)
    world.config = world.config.model_copy(update={"time_limit_s": 1.0, "memory_limit_mb": 64})
    env = world.make_env()
    env.config = world.config
    before = env.state_hash()
    result = env.call("get_order", order_id="ORD-000001")
    assert result.error_type == "limit_exceeded", result.observation
    assert reason in result.observation["error"]["message"]
    assert result.info["limit_exceeded"] in {"time", "memory"}
    assert not result.truncated, "the episode goes on"
    assert env.state_hash() == before
    # the env still works after a stopped call
    customer = env.db.find("customers", limit=1)[0]["customer_id"]
    assert env.call("search_orders", customer_id=customer).ok


def test_a_crashing_tool_is_a_world_bug_naming_its_line(shop, tmp_path):
    body = "    def f(n):\n        return f(n + 1)\n    return f(0)\n"
    folder = _world_with_probe(shop, tmp_path, body)
    env = load_world(folder).make_env()
    result = env.call("get_order", order_id="ORD-000001")
    assert result.error_type == "world_bug"
    assert result.observation["error"]["type"] == "internal_error"
    assert "RecursionError at tools.py:" in result.info["world_bug"]


def test_timeouts_cannot_be_caught_by_tool_code(shop, tmp_path):
    body = "    while True:\n        try:\n            while True:\n                pass\n        except Exception:\n            pass\n"
    world = load_world(_world_with_probe(shop, tmp_path, body))
    world.config = world.config.model_copy(update={"time_limit_s": 0.5})
    env = world.make_env()
    env.config = world.config
    result = env.call("get_order", order_id="ORD-000001")
    assert "time limit" in result.observation["error"]["message"]


def test_safe_code_still_runs_and_sees_only_its_namespace():
    source = HEADER + "    return {'n': len([i for i in range(10)]), 'ok': isinstance(db, dict)}\n"
    registry = run_tool_code(source)
    function, options = registry["probe"]
    assert options == {"kind": "read", "operation": "compute"}
    assert function({}) == {"n": 10, "ok": True}
    assert "os" not in function.__globals__ and "open" not in function.__globals__["__builtins__"]
    assert os.getcwd()  # the host is untouched

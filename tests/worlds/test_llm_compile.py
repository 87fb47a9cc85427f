"""LLM-assisted compilation against the stub OpenAI-compatible server (good and broken code)."""

from __future__ import annotations

from agentscaler import llm
from agentscaler.llm import stub
from agentscaler.worlds import llm_compile
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.config import WorldConfig
from agentscaler.worlds.llm_compile import improve_world

from .conftest import compiled_vertical, fixture_tools

GOOD = '''Here is a better version:
```python
@tool(kind="read", operation="compute")
def math_factorial(db, *, number: int):
    """Calculate the factorial of a number."""
    result = 1
    for factor in range(2, number + 1):
        result = result * factor
    return {"result": result}
```
'''
UNSAFE = '```python\nimport math\n\n@tool(kind="read", operation="compute")\ndef math_factorial(db, *, number: int):\n    return {"result": math.factorial(number)}\n```'
CRASHES = '```python\n@tool(kind="read", operation="compute")\ndef math_factorial(db, *, number: int):\n    return {"result": 1 / 0}\n```'
WRONG_KIND = '```python\n@tool(kind="write", operation="create", table="emails")\ndef math_factorial(db, *, number: int):\n    return {"result": 1}\n```'


def _client(base_url):
    return llm.ChatClient(
        llm.LLMConfig(base_url=base_url, model="coder", max_retries=0, timeout_s=30)
    )


def _specs():
    return [t for t in fixture_tools() if t.tag_value("vertical") == "notes"]


_GENERIC: list = []


def _generic_factorial_world():
    """The notes world whose spec leaves math_factorial on the generic path (no formula)."""
    if not _GENERIC:
        spec = compiled_vertical("notes").load_spec()
        tool = spec.tools["math_factorial"].model_copy(update={"compute": {}, "fallback": True})
        spec = spec.model_copy(update={"tools": {**spec.tools, "math_factorial": tool}})
        _GENERIC.append(compile_world("d-notes", "notes", _specs(), spec=spec))
    return _GENERIC[0]


def test_broken_candidates_are_refused_and_the_error_fed_back():
    world = _generic_factorial_world()
    assert world.world.binding("math_factorial").fallback
    brain = stub.ScriptedBrain([UNSAFE, CRASHES, GOOD])
    config = WorldConfig(llm_compile=True, llm_retries=3)
    with stub.serve(brain) as base_url:
        improved = improve_world(world, _specs(), _client(base_url), config)
    binding = improved.world.binding("math_factorial")
    assert binding.code_source == "llm" and not binding.fallback
    assert "for factor in range(2, number + 1)" in improved.source
    env = improved.make_env()
    assert env.call("math_factorial", number=5).observation == {"result": 120}
    assert len(brain.requests) == 3
    second, third = (r["messages"][-1]["content"] for r in brain.requests[1:])
    assert "import statements are not allowed" in second
    assert "ZeroDivisionError" in third
    # the other tools keep their template code, and the world still loads from its own hash
    assert improved.world.binding("send_email").code_source == "template"
    assert not improved.edited


def test_the_template_stays_when_every_attempt_fails():
    world = _generic_factorial_world()
    brain = stub.ScriptedBrain([WRONG_KIND, UNSAFE])
    config = WorldConfig(llm_compile=True, llm_retries=2)
    with stub.serve(brain) as base_url:
        improved = improve_world(world, _specs(), _client(base_url), config)
    assert improved.source == world.source
    assert improved.world.binding("math_factorial").code_source == "template"
    assert "keep @tool(kind='read'" in brain.requests[1]["messages"][-1]["content"]


def test_build_with_llm_writes_the_accepted_code(tmp_path):
    from agentscaler.workspace import Workspace
    from agentscaler.worlds.build import build_worlds
    from agentscaler.worlds.runtime.loader import load_world

    from .conftest import make_run_folder

    run = make_run_folder(tmp_path / "run", _specs())
    config = WorldConfig(llm_compile=True, llm_tools="all", llm_retries=1)
    with stub.serve(stub.FunctionBrain(_good_for_factorial)) as base_url:
        summary = build_worlds(Workspace(run), config, llm=_client(base_url))
    assert summary.passed == 1 and summary.results[0].llm_tools == 1
    world = load_world(Workspace(run).world_dir(summary.results[0].domain_id))
    assert world.world.binding("math_factorial").code_source == "llm" and not world.edited


def _good_for_factorial(request):
    prompt = request["messages"][1]["content"]
    return GOOD if '"name": "math_factorial"' in prompt else UNSAFE


def test_one_tool_failing_unexpectedly_keeps_its_template_and_not_the_others(monkeypatch):
    real = llm_compile._python_name

    def broken_for_weather(source, tool):
        if tool == "get_weather":
            raise RuntimeError("unexpected failure while reading get_weather")
        return real(source, tool)

    monkeypatch.setattr(llm_compile, "_python_name", broken_for_weather)
    world = compiled_vertical("notes")
    config = WorldConfig(llm_compile=True, llm_retries=1, llm_tools="all")
    with stub.serve(stub.FunctionBrain(_good_for_factorial)) as base_url:
        improved = improve_world(world, _specs(), _client(base_url), config)
    sources = {b.name: b.code_source for b in improved.world.tools}
    assert sources == {
        "send_email": "template",
        "list_emails": "template",
        "math_factorial": "llm",
        "get_weather": "template",
    }
    assert improved.make_env().call("math_factorial", number=4).observation == {"result": 24}


def test_a_candidate_that_breaks_another_tool_is_refused(monkeypatch):
    """The conformance check is made to fail get_weather whenever the candidate is in the
    world: the candidate, fine for math_factorial itself, is refused and the failure named."""
    from agentscaler.worlds.checks.conformance import CheckResult, check_world

    def check(world, **kwargs):
        report = check_world(world, **kwargs)
        if "for factor in range" not in world.source:
            return report
        broken = CheckResult(check="runs", ok=False, tool="get_weather", detail="no weathers")
        return report.model_copy(update={"checks": (*report.checks, broken), "passed": False})

    monkeypatch.setattr(llm_compile, "check_world", check)
    world = _generic_factorial_world()
    brain = stub.ScriptedBrain([GOOD, GOOD])
    with stub.serve(brain) as base_url:
        improved = improve_world(world, _specs(), _client(base_url), WorldConfig(llm_retries=2))
    assert improved.world.binding("math_factorial").code_source == "template"
    assert improved.source == world.source
    assert "runs [get_weather]: no weathers" in brain.requests[1]["messages"][-1]["content"]

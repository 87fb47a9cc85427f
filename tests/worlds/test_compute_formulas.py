"""Compute tools whose docs name an operation compile to that formula: visible in the generated
code, run by the tool, and agreed on by the spec interpreter."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentscaler.records import ToolSpec
from agentscaler.records.world import World
from agentscaler.worlds.checks.conformance import check_world
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.runtime.loader import CompiledWorld, code_hash

NUM = {"type": "number"}
NUMBERS = {"type": "array", "items": {"type": "number"}}
RESULT = {"type": "object", "properties": {"result": {"type": "number"}}}


def _tool(name: str, description: str, params: dict, returns: dict | None = RESULT) -> ToolSpec:
    return ToolSpec.model_validate(
        {
            "id": f"calc.{name}",
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": params, "required": list(params)},
            "returns": returns,
        }
    )


TOOLS = [
    _tool("mean", "Calculate the mean of a list of numbers.", {"numbers": NUMBERS}),
    _tool("sum_values", "Sum a list of numbers.", {"numbers": NUMBERS}),
    _tool("standard_deviation", "Standard deviation of numbers.", {"numbers": NUMBERS}),
    _tool("logarithm", "Logarithm of a value in a base.", {"value": NUM, "base": NUM}),
    _tool("power", "Raise a base to an exponent.", {"base": NUM, "exponent": NUM}),
    _tool(
        "unit_conversion",
        "Convert a value from one unit to another.",
        {"value": NUM, "unit_in": {"type": "string"}, "unit_out": {"type": "string"}},
    ),
    _tool("celsius_to_fahrenheit", "Temperature converter.", {"celsius": NUM}),
    _tool(
        "calculate_distance",
        "Distance between two coordinates.",
        {"lat1": NUM, "lon1": NUM, "lat2": NUM, "lon2": NUM},
        {"type": "object", "properties": {"distance_km": {"type": "number"}}},
    ),
    _tool(
        "calculate_tip",
        "Calculate the tip for a bill.",
        {"bill_amount": NUM, "tip_percentage": NUM},
        {"type": "object", "properties": {"tip": {"type": "number"}}},
    ),
    _tool(
        "calculate_bmi",
        "Body mass index from weight (kg) and height (m).",
        {"weight": NUM, "height": NUM},
    ),
    _tool(
        "convert_currency",
        "Convert an amount of money from one currency to another.",
        {"amount": NUM, "from_currency": {"type": "string"}, "to_currency": {"type": "string"}},
        {
            "type": "object",
            "properties": {"converted_amount": {"type": "number"}, "rate": {"type": "number"}},
        },
    ),
    _tool("translate_text", "Translate a text to another language.", {"text": {"type": "string"}}),
]


@pytest.fixture(scope="module")
def calc() -> CompiledWorld:
    return compile_world("calc", "calculator", TOOLS)


def _call(world: CompiledWorld, name: str, **args):
    env = world.make_env()
    result = env.step((name, args))
    assert result.ok, result.observation
    return result.observation


def test_formulas_named_by_the_docs_are_in_the_spec_and_the_code(calc):
    spec = calc.load_spec()
    assert spec.tools["mean"].compute == {"result": "=mean_of($numbers)"}
    assert spec.tools["sum_values"].compute == {"result": "=sum_of($numbers)"}
    assert spec.tools["logarithm"].compute == {"result": "=log_of($value, $base)"}
    assert spec.tools["unit_conversion"].compute == {
        "result": "=convert_units($value, $unit_in, $unit_out)"
    }
    assert spec.tools["celsius_to_fahrenheit"].compute == {
        "result": "=convert_units($celsius, 'degree_Celsius', 'degree_Fahrenheit')"
    }
    assert spec.tools["calculate_distance"].compute == {
        "distance_km": "=haversine_km($lat1, $lon1, $lat2, $lon2)"
    }
    assert not any(t.fallback for n, t in spec.tools.items() if n != "translate_text")
    # a tool whose docs name no operation over numbers gets no formula
    assert spec.tools["translate_text"].compute == {}
    # the formula is written out in the generated code
    assert "result = db.mean_of(numbers)" in calc.source
    assert "db.convert_units(value, unit_in, unit_out)" in calc.source
    # a verb that reads as a write ("sum") does not make a formula tool write
    assert calc.world.binding("sum_values").kind == "read"


def test_compute_results_follow_from_their_inputs(calc):
    assert _call(calc, "mean", numbers=[1, 2, 3, 4]) == {"result": 2.5}
    assert _call(calc, "standard_deviation", numbers=[2, 4, 4, 4, 5, 5, 7, 9]) == {"result": 2.0}
    assert _call(calc, "celsius_to_fahrenheit", celsius=100)["result"] == pytest.approx(212)
    assert _call(calc, "unit_conversion", value=1, unit_in="mile", unit_out="km")[
        "result"
    ] == pytest.approx(1.609344)
    paris_london = _call(
        calc, "calculate_distance", lat1=48.8566, lon1=2.3522, lat2=51.5074, lon2=-0.1278
    )
    assert paris_london["distance_km"] == pytest.approx(343.5, abs=1.0)
    assert _call(calc, "calculate_tip", bill_amount=80, tip_percentage=15) == {"tip": 12.0}
    assert _call(calc, "calculate_bmi", weight=81, height=1.8)["result"] == pytest.approx(25.0)


def test_arguments_outside_a_formula_are_domain_errors(calc):
    env = calc.make_env()
    for call in [
        ("logarithm", {"value": -1, "base": 10}),
        ("mean", {"numbers": []}),
        ("unit_conversion", {"value": 1, "unit_in": "km", "unit_out": "kg"}),
        ("unit_conversion", {"value": 1, "unit_in": "parsecs of joy", "unit_out": "km"}),
    ]:
        result = env.step(call)
        assert not result.ok
        assert result.observation["error"]["type"] == "invalid_argument", result.observation
        assert result.info["world_bug"] is None


_FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(_FINITE, min_size=1, max_size=12), st.lists(_FINITE, min_size=1, max_size=12))
def test_totals_match_their_parts(calc, left, right):
    whole = _call(calc, "sum_values", numbers=left + right)["result"]
    parts = (
        _call(calc, "sum_values", numbers=left)["result"]
        + _call(calc, "sum_values", numbers=right)["result"]
    )
    assert whole == pytest.approx(parts, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(_FINITE, st.integers(min_value=1, max_value=20))
def test_mean_of_constants_is_the_constant(calc, value, count):
    assert _call(calc, "mean", numbers=[value] * count)["result"] == pytest.approx(value)
    assert _call(calc, "standard_deviation", numbers=[value] * count)["result"] == pytest.approx(
        0, abs=1e-6
    )


@settings(max_examples=40, deadline=None)
@given(
    st.floats(min_value=1.1, max_value=100), st.floats(min_value=-5, max_value=5, allow_nan=False)
)
def test_log_and_power_invert(calc, base, exponent):
    raised = _call(calc, "power", base=base, exponent=exponent)["result"]
    back = _call(calc, "logarithm", value=raised, base=base)["result"]
    assert back == pytest.approx(exponent, abs=1e-9)


_UNITS = st.sampled_from(
    [("km", "mile"), ("kg", "lbs"), ("celsius", "fahrenheit"), ("liter", "gallon"), ("m", "ft")]
)


@settings(max_examples=40, deadline=None)
@given(_FINITE, _UNITS)
def test_a_conversion_and_its_inverse_round_trip(calc, value, units):
    there = _call(calc, "unit_conversion", value=value, unit_in=units[0], unit_out=units[1])
    back = _call(
        calc, "unit_conversion", value=there["result"], unit_in=units[1], unit_out=units[0]
    )
    assert back["result"] == pytest.approx(value, rel=1e-9, abs=1e-6)
    if units == ("km", "mile") and value:
        assert math.isclose(there["result"], value / 1.609344, rel_tol=1e-12)


def test_the_world_passes_its_checks_and_a_wrong_formula_is_caught(calc):
    assert check_world(calc).passed
    source = calc.source.replace("result = db.mean_of(numbers)", "result = db.mean_of(numbers) + 1")
    assert source != calc.source
    record: World = calc.world.model_copy(update={"code_hash": code_hash(source)})
    broken = CompiledWorld.from_parts(record, source, calc.openai_tools, config=calc.config)
    broken.spec = calc.load_spec()
    report = check_world(broken)
    assert not report.passed
    failures = [c for c in report.failures if c.tool == "mean"]
    assert failures and "formulas give" in failures[0].detail, report.summary()


def test_currency_conversion_reads_the_rates_table_of_the_world_clock(calc):
    spec = calc.load_spec()
    tool = spec.tools["convert_currency"]
    assert {f.entity for f in tool.find.values()} == {"currency_rate"}
    assert tool.compute["converted_amount"] == (
        "=$amount * div(target_rate.units_per_base, source_rate.units_per_base)"
    )
    assert 'target_rate = db.get("currency_rates", to_currency)' in calc.source
    env = calc.make_env()
    rates = {r["currency"]: r for r in env.db.rows("currency_rates")}
    assert rates["USD"]["units_per_base"] == 1.0
    assert {r["as_of"] for r in rates.values()} == {spec.clock[:10]}
    assert 0.7 < rates["EUR"]["units_per_base"] < 1.0  # euros per dollar
    assert 100 < rates["JPY"]["units_per_base"] < 200
    quote = _call(calc, "convert_currency", amount=100, from_currency="EUR", to_currency="JPY")
    assert quote["converted_amount"] == pytest.approx(
        100 * rates["JPY"]["units_per_base"] / rates["EUR"]["units_per_base"]
    )
    absent = env.step(
        ("convert_currency", {"amount": 1, "from_currency": "USD", "to_currency": "XTS"})
    )
    assert not absent.ok and absent.observation["error"]["type"] == "not_found"


@settings(max_examples=30, deadline=None)
@given(
    st.floats(min_value=0.01, max_value=1e7),
    st.sampled_from(["USD", "EUR", "GBP", "JPY", "CHF", "CAD"]),
    st.sampled_from(["USD", "EUR", "GBP", "JPY", "INR", "MXN"]),
)
def test_a_currency_conversion_and_its_inverse_round_trip(calc, amount, source, target):
    there = _call(calc, "convert_currency", amount=amount, from_currency=source, to_currency=target)
    back = _call(
        calc,
        "convert_currency",
        amount=there["converted_amount"],
        from_currency=target,
        to_currency=source,
    )
    assert back["converted_amount"] == pytest.approx(amount, rel=1e-9)
    assert there["rate"] * back["rate"] == pytest.approx(1.0, rel=1e-9)


def test_a_share_by_tiers_the_text_states_is_the_formula():
    """ "25% from 15 minutes, 50% from 30 and 100% from 60" of the fare paid: the result field
    is the compensation, not the delay echoed back."""
    from tests.worlds.conftest import builtin_world

    world = builtin_world("rail_travel")
    formula = world.spec.tools["calculate_delay_compensation"].compute["compensation"]
    assert "$fare_paid" in formula and ">= 60" in formula
    env = world.make_env()
    due = {
        delay: env.call("calculate_delay_compensation", delay_minutes=delay, fare_paid=80.0)
        for delay in (5, 15, 45, 60, 200)
    }
    assert [due[d].observation["compensation"] for d in (5, 15, 45, 60, 200)] == [
        0,
        20.0,
        40.0,
        80.0,
        80.0,
    ]


@settings(max_examples=40, deadline=None)
@given(
    loss=st.floats(0, 50_000, allow_nan=False),
    deductible=st.floats(0, 5_000, allow_nan=False),
    limit=st.floats(0, 40_000, allow_nan=False),
)
def test_a_payout_is_the_loss_less_the_deductible_within_the_limit(loss, deductible, limit):
    from tests.worlds.conftest import builtin_world

    env = builtin_world("insurance_claims").make_env()
    result = env.call(
        "calculate_payout", estimated_loss=loss, deductible=deductible, coverage_limit=limit
    )
    assert result.ok, result.observation
    payout = result.observation["estimated_payout"]
    assert 0 <= payout <= round(limit, 2) + 0.005
    assert payout == pytest.approx(round(min(max(loss - deductible, 0), limit), 2))

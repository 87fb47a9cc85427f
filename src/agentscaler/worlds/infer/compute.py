"""Formulas of compute tools, read from their names, parameters and descriptions.

A compute tool whose name (or description) names a known operation over its numeric arguments
gets that operation as a spec formula (``SpecTool.compute``), written in the expression language
and so visible in the generated code:

* over a list of numbers: mean/average, median, standard deviation, variance, sum/total,
  product, minimum, maximum, range;
* over numbers: absolute value, factorial, square root, logarithm (in a base), power, rounding, percentage
  (of a part in a whole, or a percent of an amount: tips, taxes, discounts), sum, difference,
  product, quotient/ratio, BMI, simple and compound interest, speed and distance, areas;
* distance between two coordinates (haversine, km);
* unit conversion (``convert_units(value, unit_in, unit_out)`` with pint's factors), from unit
  parameters or from a ``<unit>_to_<unit>`` name;
* currency conversion: the amount times the ratio of the two currencies' rates, looked up in the
  world's rates table (ECB reference rates on the world clock's date).

Nothing is special-cased on a catalog's tool names: each rule reads the words of the name, the
parameter names and their types. A tool no rule fits gets no formula.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agentscaler.naming import split_identifier
from agentscaler.worlds.infer.toolshape import ToolShape
from agentscaler.worlds.interface import ParamInfo
from agentscaler.worlds.schemas import resolve_schema, schema_type
from agentscaler.worlds.seeding.rates import RATE_COLUMN, RATES_ENTITY
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecLookup

NUMBER_TYPES = ("number", "integer")
SOURCE_ROW, TARGET_ROW = "source_rate", "target_rate"
"""Rows a currency conversion looks up in the rates table (see :mod:`..seeding.rates`)."""
_WORD = re.compile(r"[a-z]+")
_PERCENT = re.compile(r"percent|%|percentage")
_UNIT_WORDS = frozenset("unit units measure".split())
_FROM_WORDS = frozenset("from in input source original start".split())
_TO_WORDS = frozenset("to out output target desired end".split())
_PRECISION_WORDS = frozenset("precision decimal decimals places digits ndigits".split())
_LIST_OPS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset("mean average avg averages".split()), "mean_of({x})"),
    (frozenset(["median"]), "median_of({x})"),
    (frozenset("deviation std stdev stddev".split()), "stdev_of({x})"),
    (frozenset(["variance"]), "variance_of({x})"),
    (frozenset("sum total add".split()), "sum_of({x})"),
    (frozenset("product multiply".split()), "product_of({x})"),
    (frozenset("min minimum smallest lowest".split()), "min_of({x})"),
    (frozenset("max maximum largest highest biggest".split()), "max_of({x})"),
    (frozenset(["range"]), "max_of({x}) - min_of({x})"),
)


@dataclass
class _Params:
    numbers: list[ParamInfo]
    lists: list[ParamInfo]
    texts: list[ParamInfo]

    def named(self, *words: str, among: list[ParamInfo] | None = None) -> ParamInfo | None:
        """The first parameter (numbers by default) one of whose name words is in ``words``."""
        wanted = set(words)
        for param in self.numbers if among is None else among:
            if set(param.words) & wanted:
                return param
        return None


def _ref(param: ParamInfo) -> str:
    return param_ref(param.name)


def _is_number_list(param: ParamInfo) -> bool:
    if param.json_type != "array":
        return False
    items = param.schema.get("items")
    return isinstance(items, dict) and schema_type(resolve_schema(items)) in NUMBER_TYPES


def _usable(param: ParamInfo) -> bool:
    """A formula may read it: it is always given, or has a default."""
    return param.required or "default" in param.schema


def _in_percent(param: ParamInfo) -> bool:
    text = f"{param.name} {param.schema.get('description', '')}".lower()
    return bool(_PERCENT.search(text))


def _rate(param: ParamInfo) -> str:
    return f"{_ref(param)} / 100" if _in_percent(param) else _ref(param)


def _target(shape: ToolShape, prefer: tuple[str, ...] = ()) -> tuple[str, bool] | None:
    """``(field, bare)``: the result field a formula fills (bare: the result is the number)."""
    schema = shape.returns.schema
    if not schema:
        return "result", False
    json_type = schema_type(schema)
    if json_type in NUMBER_TYPES:
        return "result", True
    if json_type != "object":
        return None
    fields = shape.returns.fields
    if not fields:
        return "result", False
    numeric = [n for n, s in fields.items() if schema_type(resolve_schema(s)) in NUMBER_TYPES]
    required = set(schema.get("required") or ())
    if not numeric or (required - set(numeric)):
        return None
    inputs = {p.name for p in shape.params}
    numeric = [n for n in numeric if n not in inputs] or numeric  # not an echoed argument
    for name in numeric:
        if set(split_identifier(name)) & set(prefer):
            return name, False
    return numeric[0], False


def _words(shape: ToolShape) -> tuple[set[str], set[str]]:
    """Words of the name, and of the description's first sentence."""
    name = set(shape.words) | set(split_identifier(shape.name))
    description = shape.spec.description.split(". ")[0].lower()
    return name, set(_WORD.findall(description))


def _list_formula(params: _Params, words: set[str]) -> str | None:
    if len(params.lists) != 1 or not _usable(params.lists[0]):
        return None
    x = _ref(params.lists[0])
    for keys, template in _LIST_OPS:
        if words & keys:
            return template.format(x=x)
    return None


def _unit_params(params: _Params) -> tuple[ParamInfo, ParamInfo] | None:
    source = target = None
    for param in params.texts:
        words = set(param.words)
        if words & {"currency", "currencies"}:
            return None
        if source is None and words & _FROM_WORDS:
            source = param
        elif target is None and words & _TO_WORDS:
            target = param
    if source is None or target is None:
        return None
    named = set(source.words) | set(target.words)
    if not named & _UNIT_WORDS and not ({"from"} <= set(source.words) and "to" in target.words):
        return None
    return source, target


def _name_units(shape: ToolShape) -> tuple[str, str] | None:
    """``("degC", "degF")`` from a ``celsius_to_fahrenheit`` name, when pint knows both."""
    from agentscaler.errors import InvalidArgument
    from agentscaler.worlds.runtime.formulas import unit_name

    words = list(split_identifier(shape.name))
    if "to" not in words:
        return None
    at = words.index("to")
    left = [w for w in words[:at] if w not in ("convert", "conversion", "from")]
    right = words[at + 1 :]
    if len(left) != 1 or len(right) != 1:
        return None
    try:
        return unit_name(left[0]), unit_name(right[0])
    except InvalidArgument:
        return None


def _conversion(shape: ToolShape, params: _Params, name_words: set[str]) -> str | None:
    values = [p for p in params.numbers if _usable(p)]
    units = _unit_params(params)
    if units is not None and values and (name_words & {"convert", "conversion", "converter"}):
        value = next((p for p in values if {"value", "amount", "quantity"} & set(p.words)), None)
        value = value or values[0]
        return f"convert_units({_ref(value)}, {_ref(units[0])}, {_ref(units[1])})"
    if len(values) == 1:
        named = _name_units(shape)
        if named is not None:
            return f"convert_units({_ref(values[0])}, {named[0]!r}, {named[1]!r})"
    return None


def _two(params: _Params) -> tuple[ParamInfo, ParamInfo] | None:
    numbers = [p for p in params.numbers if _usable(p)]
    if len(numbers) != 2 or params.lists:
        return None
    return numbers[0], numbers[1]


def _scalar_formula(shape: ToolShape, params: _Params, words: set[str]) -> str | None:
    usable = [p for p in params.numbers if _usable(p)]
    main = [p for p in usable if not set(p.words) & _PRECISION_WORDS]
    rules: list[Callable[[], str | None]] = [
        lambda: _haversine(params, words),
        lambda: _bmi(params, words),
        lambda: _loan_payment(params, words),
        lambda: _interest(params, words),
        lambda: _percent_of(params, words),
        lambda: _one_number(main, params, words),
        lambda: _pairwise(params, words),
        lambda: _motion(params, words),
        lambda: _area(params, words),
    ]
    for rule in rules:
        formula = rule()
        if formula is not None:
            return formula
    return None


def _haversine(params: _Params, words: set[str]) -> str | None:
    lats = [p for p in params.numbers if set(p.words) & {"lat", "latitude"}]
    lons = [p for p in params.numbers if set(p.words) & {"lon", "lng", "long", "longitude"}]
    if len(lats) != 2 or len(lons) != 2 or not all(map(_usable, lats + lons)):
        return None
    if not words & {"distance", "haversine", "between", "far"}:
        return None
    return f"haversine_km({_ref(lats[0])}, {_ref(lons[0])}, {_ref(lats[1])}, {_ref(lons[1])})"


def _bmi(params: _Params, words: set[str]) -> str | None:
    if not words & {"bmi", "mass"} or ("bmi" not in words and "body" not in words):
        return None
    weight, height = params.named("weight", "mass"), params.named("height")
    if weight is None or height is None or not (_usable(weight) and _usable(height)):
        return None
    text = f"{height.name} {height.schema.get('description', '')}".lower()
    meters = f"{_ref(height)} / 100" if re.search(r"\bcm\b|centimet", text) else _ref(height)
    return f"div({_ref(weight)}, power_of({meters}, 2))"


def _loan_parts(params: _Params, words: set[str]) -> tuple[str, str, str] | None:
    """``(principal, monthly rate, months)`` references of an amortised loan's arguments."""
    if not words & {"mortgage", "loan", "emi", "installment"} or not words & {"payment", "emi"}:
        return None
    principal = params.named("principal", "loan", "amount")
    rate = params.named("rate", "interest")
    years = params.named("years", "year", "term", "duration")
    if (
        principal is None
        or rate is None
        or years is None
        or len({id(principal), id(rate), id(years)}) < 3
    ):
        return None
    if not all(map(_usable, (principal, rate, years))):
        return None
    months = _ref(years) if "months" in years.words else f"{_ref(years)} * 12"
    return _ref(principal), f"div({_rate(rate)}, 12)", months


def _loan_payment(params: _Params, words: set[str]) -> str | None:
    """The fixed monthly payment of an amortised loan: P * i / (1 - (1 + i) ** -n)."""
    parts = _loan_parts(params, words)
    if parts is None:
        return None
    principal, i, months = parts
    return f"div({principal} * {i}, 1 - power_of(1 + {i}, -({months})))"


def _loan_totals(
    shape: ToolShape, params: _Params, words: set[str], payment: str, filled: dict[str, str]
) -> dict[str, str]:
    """The totals a loan's result lists beside its monthly payment: the total paid (payment x
    months) and the total interest (that less the principal)."""
    parts = _loan_parts(params, words)
    if parts is None or payment != _loan_payment(params, words):
        return {}
    principal, _, months = parts
    totals = {}
    for name, sub in shape.returns.fields.items():
        field_words = set(split_identifier(name))
        if name in filled or schema_type(resolve_schema(sub)) not in NUMBER_TYPES:
            continue
        if {"total", "interest"} <= field_words:
            totals[name] = f"=round({payment} * ({months}) - {principal}, 2)"
        elif "total" in field_words and field_words & {"paid", "cost", "payment", "payments"}:
            totals[name] = f"=round({payment} * ({months}), 2)"
    return totals


def _echoes(shape: ToolShape, filled: dict[str, str]) -> dict[str, str]:
    """Result fields that are the tool's own arguments (``duration_minutes`` of a fee): each
    echoes its argument."""
    if not shape.returns.schema or schema_type(shape.returns.schema) != "object":
        return {}
    params = {p.name: p for p in shape.params}
    return {
        name: "=" + _ref(params[name])
        for name in shape.returns.fields
        if name not in filled and name in params and _usable(params[name])
    }


def _interest(params: _Params, words: set[str]) -> str | None:
    if "interest" not in words and "compound" not in words:
        return None
    principal = params.named("principal", "amount", "investment", "deposit", "balance")
    rate = params.named("rate", "interest")
    time = params.named("time", "years", "year", "duration", "period", "periods", "term")
    if principal is None or rate is None or time is None or rate is principal:
        return None
    if not all(map(_usable, (principal, rate, time))):
        return None
    p, r, t = _ref(principal), _rate(rate), _ref(time)
    if "compound" in words or "compounded" in words:
        n = params.named("n", "compounds", "compounding", "frequency", "times")
        if n is not None and _usable(n) and n not in (principal, rate, time):
            return f"{p} * power_of(1 + div({r}, {_ref(n)}), {_ref(n)} * {t}) - {p}"
        return f"{p} * power_of(1 + {r}, {t}) - {p}"
    return f"{p} * {r} * {t}"


def _percent_of(params: _Params, words: set[str]) -> str | None:
    part, whole = params.named("part", "portion", "value"), params.named("whole", "total")
    if (
        words & {"percentage", "percent"}
        and part is not None
        and whole is not None
        and part is not whole
        and _usable(part)
        and _usable(whole)
    ):
        return f"div({_ref(part)}, {_ref(whole)}) * 100"
    kinds = {"tip", "tax", "discount", "vat", "gratuity", "commission", "fee"}
    if not words & kinds:
        return None
    amount = params.named("bill", "amount", "price", "total", "subtotal", "cost", "income")
    share = params.named("percentage", "percent", "rate", "tip", "tax", "discount")
    if amount is None or share is None or amount is share or not _usable(amount):
        return None
    if not _usable(share):
        return None
    fraction = _rate(share) if not set(share.words) & {"percentage", "percent"} else None
    fraction = fraction or f"{_ref(share)} / 100"
    if "discount" in words:
        return f"{_ref(amount)} * (1 - {fraction})"
    return f"{_ref(amount)} * {fraction}"


def _one_number(main: list[ParamInfo], params: _Params, words: set[str]) -> str | None:
    if params.lists:
        return None
    if words & {"logarithm", "log"} and main:
        value = next((p for p in main if "base" not in p.words), None)
        base = params.named("base")
        if value is None:
            return None
        if base is not None:
            return f"log_of({_ref(value)}, {_ref(base)})"
        return f"log_of({_ref(value)}, 10)" if "log10" in words else f"log_of({_ref(value)})"
    if words & {"power", "exponent", "pow", "exponentiation"}:
        base, exponent = params.named("base", "number", "x"), params.named("exponent", "power")
        if base is not None and exponent is not None and base is not exponent:
            return f"power_of({_ref(base)}, {_ref(exponent)})"
    if len(main) != 1:
        return None
    x = _ref(main[0])
    if "factorial" in words:
        return f"factorial_of({x})"
    if words & {"absolute", "abs"}:
        return f"abs({x})"
    if words & {"sqrt"} or {"square", "root"} <= words:
        return f"sqrt_of({x})"
    if words & {"round", "rounding", "rounded"}:
        places = params.named("decimal", "decimals", "places", "digits", "precision", "ndigits")
        if places is not None and places is not main[0] and _usable(places):
            return f"round({x}, {_ref(places)})"
        return f"round({x})"
    if words & {"square", "squared"}:
        return f"power_of({x}, 2)"
    if words & {"cube", "cubed"}:
        return f"power_of({x}, 3)"
    return None


def _pairwise(params: _Params, words: set[str]) -> str | None:
    pair = _two(params)
    if pair is None:
        return None
    a, b = _ref(pair[0]), _ref(pair[1])
    if words & {"add", "addition", "plus", "sum"}:
        return f"{a} + {b}"
    if words & {"subtract", "subtraction", "minus", "difference"}:
        return f"{a} - {b}"
    if words & {"multiply", "multiplication", "times", "product"}:
        return f"{a} * {b}"
    if words & {"divide", "division", "quotient", "ratio"}:
        return f"div({a}, {b})"
    return None


def _motion(params: _Params, words: set[str]) -> str | None:
    distance, time = params.named("distance", "displacement"), params.named("time", "duration")
    speed = params.named("speed", "velocity")
    given = [p for p in (distance, time, speed) if p is not None]
    if not all(map(_usable, given)):
        return None
    if words & {"speed", "velocity"} and distance and time and speed is None:
        return f"div({_ref(distance)}, {_ref(time)})"
    if "distance" in words and speed and time and distance is None:
        return f"{_ref(speed)} * {_ref(time)}"
    return None


_MINUTES = {
    "minute": 1,
    "minutes": 1,
    "hour": 60,
    "hours": 60,
    "hourly": 60,
    "day": 1440,
    "days": 1440,
    "daily": 1440,
    "week": 10080,
    "weeks": 10080,
    "weekly": 10080,
}
_STARTED = re.compile(r"\bper started (\d+) (minute|hour|day)s?\b")


def _time_charge(params: _Params, words: set[str], description: str) -> str | None:
    """A charge for a time at a rate per time unit ("the fee for parking a number of minutes at
    an hourly rate, billed per started 15 minutes"): rate x time in the rate's unit, the time
    rounded up to the billing step the text states."""
    if not words & {"fee", "cost", "price", "charge", "charges", "amount"}:
        return None
    rate = next(
        (p for p in params.numbers if "rate" in p.words and set(p.words) & set(_MINUTES)), None
    )
    time = next((p for p in params.numbers if p is not rate and set(p.words) & set(_MINUTES)), None)
    if rate is None or time is None or not (_usable(rate) and _usable(time)):
        return None
    per = next(_MINUTES[w] for w in rate.words if w in _MINUTES)
    unit = next(_MINUTES[w] for w in time.words if w in _MINUTES)
    minutes = f"{_ref(time)} * {unit}" if unit != 1 else _ref(time)
    started = _STARTED.search(description.lower())
    if started is not None:
        step = int(started.group(1)) * _MINUTES[started.group(2)]
        minutes = f"-(-({minutes}) // {step}) * {step}"  # every started step is billed
    return f"round({_ref(rate)} * ({minutes}) / {per}, 2)"


def _area(params: _Params, words: set[str]) -> str | None:
    if "area" not in words:
        return None
    radius = params.named("radius")
    base, height = params.named("base"), params.named("height")
    length, width = params.named("length"), params.named("width")
    if "circle" in words and radius is not None and _usable(radius):
        return f"3.141592653589793 * power_of({_ref(radius)}, 2)"
    if "triangle" in words and base and height and _usable(base) and _usable(height):
        return f"0.5 * {_ref(base)} * {_ref(height)}"
    rectangle = words & {"rectangle", "rectangular"}
    if rectangle and length and width and _usable(length) and _usable(width):
        return f"{_ref(length)} * {_ref(width)}"
    return None


_TIER = re.compile(r"(\d+(?:\.\d+)?)\s?%\s+(?:from|after|at|for)\s+(\d+(?:\.\d+)?)")
_MONEY_WORDS = frozenset("fare price amount paid cost total subtotal fee value".split())


def _tiers(params: _Params, description: str) -> str | None:
    """A share of an amount by tiers of another number the text states ("the compensation due
    for a delay given the fare paid: 25% from 15 minutes, 50% from 30 and 100% from 60"): the
    amount times the share of the highest tier reached, none below the first."""
    pairs = sorted({(float(m), float(p)) for p, m in _TIER.findall(description.lower())})
    if len(pairs) < 2:
        return None
    amount = next((p for p in params.numbers if set(p.words) & _MONEY_WORDS and _usable(p)), None)
    level = next(
        (
            p
            for p in params.numbers
            if p is not amount and _usable(p) and not set(p.words) & _MONEY_WORDS
        ),
        None,
    )
    if amount is None or level is None:
        return None
    share = "0"
    for threshold, percent in pairs:
        share = f"{percent:g} if {_ref(level)} >= {threshold:g} else {share}"
    return f"round({_ref(amount)} * ({share}) / 100, 2)"


def _payout(params: _Params, words: set[str]) -> str | None:
    """What an insurer pays on a loss: the loss less the deductible, never below zero, at most
    the coverage limit."""
    if not words & {"payout", "payable", "reimbursement", "indemnity"}:
        return None
    loss = params.named("loss", "damage", "claimed")
    deductible = params.named("deductible", "excess")
    limit = params.named("limit", "coverage", "cap")
    if not (loss and deductible and limit) or len({loss.name, deductible.name, limit.name}) < 3:
        return None
    if not all(_usable(p) for p in (loss, deductible, limit)):
        return None
    return f"round(min(max({_ref(loss)} - {_ref(deductible)}, 0), {_ref(limit)}), 2)"


def compute_plan(shape: ToolShape) -> tuple[dict[str, str], dict[str, SpecLookup]]:
    """``({result field: "=formula"}, {row: lookup})`` of a compute tool whose docs name an
    operation (a currency conversion also looks its two rates up), else ``({}, {})``."""
    params = _Params(
        numbers=[p for p in shape.params if p.json_type in NUMBER_TYPES],
        lists=[p for p in shape.params if _is_number_list(p)],
        texts=[p for p in shape.params if p.json_type == "string"],
    )
    if not params.numbers and not params.lists:
        return {}, {}
    name_words, description_words = _words(shape)
    currency = _currency(shape, params, name_words) or _currency(
        shape, params, name_words | description_words
    )
    if currency is not None:
        return currency
    formula = (
        _time_charge(params, name_words | description_words, shape.spec.description)
        or _tiers(params, shape.spec.description)
        or _payout(params, name_words | description_words)
        or _conversion(shape, params, name_words)
        or _list_formula(params, name_words)
        or _scalar_formula(shape, params, name_words)
    )
    if formula is None:  # the description alone names only unambiguous operations
        words = name_words | description_words
        formula = (
            _conversion(shape, params, words)
            or _list_formula(params, words)
            or _haversine(params, words)
        )
    if formula is None:
        return {}, {}
    target = _target(shape, prefer=("result", "value", "total", "amount", *sorted(name_words)))
    if target is None:
        return {}, {}
    formulas = {target[0]: "=" + formula}
    formulas.update(_loan_totals(shape, params, name_words | description_words, formula, formulas))
    formulas.update(_echoes(shape, formulas))
    return formulas, {}


def formulas_for(shape: ToolShape) -> dict[str, str]:
    """``{result field: "=formula"}`` for a compute tool whose docs name an operation, else {}."""
    return compute_plan(shape)[0]


_CURRENCY_WORDS = frozenset("currency currencies code".split())


def _currency(
    shape: ToolShape, params: _Params, words: set[str]
) -> tuple[dict[str, str], dict[str, SpecLookup]] | None:
    """A conversion between currencies: the amount times the ratio of the two currencies'
    rates against the base currency, both read from the world's rates table."""
    if not words & {"convert", "conversion", "converter", "exchange"}:
        return None
    if not words & {"currency", "currencies", "exchange", "money", "forex", "fx"}:
        return None
    source = target = None
    for param in params.texts:
        mine = set(param.words)
        currency_like = bool(mine & _CURRENCY_WORDS) or mine <= {"from", "to", "base", "target"}
        if not currency_like:
            continue
        if source is None and mine & {"from", "source", "base", "original", "input"}:
            source = param
        elif target is None and mine & {"to", "target", "quote", "desired", "output", "into"}:
            target = param
    amount = params.named("amount", "value", "sum", "money", "quantity", "price")
    if source is None or target is None or amount is None:
        return None
    if not all(map(_usable, (source, target, amount))):
        return None
    rate = f"div({TARGET_ROW}.{RATE_COLUMN}, {SOURCE_ROW}.{RATE_COLUMN})"
    schema = shape.returns.schema
    if schema and schema_type(schema) not in ("object", *NUMBER_TYPES):
        return None
    fields = shape.returns.fields if schema and schema_type(schema) == "object" else {}
    formulas: dict[str, str] = {}
    converted = False
    names = {p.name for p in shape.params}
    numbers = [
        n
        for n, sub in fields.items()
        if schema_type(resolve_schema(sub)) in NUMBER_TYPES
        and n not in names
        and not ({"rate"} & set(split_identifier(n)) and "amount" not in split_identifier(n))
    ]
    for name, sub in fields.items():
        kind = schema_type(resolve_schema(sub))
        field_words = set(split_identifier(name))
        if numbers and name in names and name not in numbers:
            formulas[name] = "=" + _ref(next(p for p in shape.params if p.name == name))
        elif kind in NUMBER_TYPES and field_words & {"rate"} and not field_words & {"amount"}:
            formulas[name] = f"={rate}"
        elif kind in NUMBER_TYPES and not converted:
            formulas[name] = f"={_ref(amount)} * {rate}"
            converted = True
        elif kind == "string" and field_words & {"from", "source", "base", "original"}:
            formulas[name] = f"={_ref(source)}"
        elif kind == "string" and field_words & {"currency", "to", "target"}:
            formulas[name] = f"={_ref(target)}"
        elif kind == "string" and field_words & {"date"}:
            formulas[name] = f"={TARGET_ROW}.as_of"
    if not fields:
        formulas, converted = {"result": f"={_ref(amount)} * {rate}"}, True
    required = set((schema or {}).get("required") or ())
    if not converted or required - set(formulas):
        return None
    find = {
        SOURCE_ROW: SpecLookup(entity=RATES_ENTITY, by={"currency": _ref(source)}),
        TARGET_ROW: SpecLookup(entity=RATES_ENTITY, by={"currency": _ref(target)}),
    }
    return formulas, find


def computes(shape: ToolShape) -> bool:
    """A tool without identifiers whose formula reads every required argument: it computes,
    whatever its verb says (``add(a, b)``, ``sum_values(numbers)``)."""
    if shape.id_params():
        return False
    formulas, find = compute_plan(shape)
    if not formulas:
        return False
    text = " ".join([*formulas.values(), *(str(v) for f in find.values() for v in f.by.values())])
    return all(
        re.search(re.escape(param_ref(p.name)) + r"(?![\w}])", text)
        for p in shape.params
        if p.required and not set(p.words) & _PRECISION_WORDS
    )


__all__ = ["compute_plan", "computes", "formulas_for"]

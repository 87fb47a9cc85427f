"""The formulas compute tools run, as methods of the database API (``db.mean_of(values)``).

Spec expressions name them (``=mean_of($numbers)``, ``=convert_units($value, $from_unit, $to_unit)``; see
:data:`agentscaler.worlds.spec.expr.FUNCTIONS`); generated tool code and the spec interpreter
both call them here, so a formula means one thing. An argument outside a formula's domain (the
logarithm of a negative number, a division by zero, an unknown unit) is an
:class:`~agentscaler.errors.InvalidArgument` naming the value, never a crash of the world.

Unit conversion uses the factors of ``pint``'s unit registry (loaded once per process).
"""

from __future__ import annotations

import functools
import math
import re
import statistics
from collections.abc import Iterable
from typing import Any

from agentscaler.errors import InvalidArgument
from agentscaler.worlds.runtime.text_formats import TEXT_FORMATS, has_format

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), for great-circle distances."""

_UNIT_SPELLINGS = {
    "celsius": "degC",
    "centigrade": "degC",
    "c": "degC",
    "fahrenheit": "degF",
    "f": "degF",
    "kelvin": "kelvin",
    "k": "kelvin",
    "lbs": "pound",
    "lb": "pound",
    "mph": "mile / hour",
    "kph": "kilometer / hour",
    "kmh": "kilometer / hour",
    "km/h": "kilometer / hour",
    "kmph": "kilometer / hour",
    "mpg": "mile / gallon",
}


UNIT_FAMILIES = (
    ("meter", "kilometer", "centimeter", "mile", "foot", "inch", "yard"),
    ("kilogram", "gram", "pound", "ounce"),
    ("degC", "degF", "kelvin"),
    ("liter", "milliliter", "gallon", "quart"),
    ("second", "minute", "hour", "day"),
)
"""Unit names argument sampling draws from, one family (one dimension) per call."""

_CONVERT_UNITS = re.compile(r"\bconvert_units\((.+?), \$\{?(\w+)\}?, \$\{?(\w+)\}?\)")


def unit_arguments(formulas: Iterable[str]) -> tuple[str, ...]:
    """The arguments formulas read as unit names (``convert_units($v, $unit_in, $unit_out)``)."""
    names: list[str] = []
    for formula in formulas:
        for match in _CONVERT_UNITS.finditer(formula):
            names.extend((match.group(2), match.group(3)))
    return tuple(names)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InvalidArgument(f"{what} must be a number, got {value!r}") from None
    return float(value)


def _numbers(values: Any, what: str) -> list[float]:
    if not isinstance(values, Iterable) or isinstance(values, (str, bytes, dict)):
        raise InvalidArgument(f"{what} must be a list of numbers, got {values!r}")
    numbers = [_number(v, what) for v in values]
    if not numbers:
        raise InvalidArgument(f"{what} must hold at least one number")
    return numbers


@functools.cache
def _registry() -> Any:
    import pint

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


def unit_name(name: Any) -> str:
    """pint's name of a unit written as tools write it (``celsius`` -> ``degree_Celsius``);
    an unknown unit is an invalid argument."""
    return str(_unit(name))


def _unit(name: Any) -> Any:
    registry = _registry()
    text = str(name or "").strip()
    spelled = _UNIT_SPELLINGS.get(text.lower().replace("degrees ", "").replace("°", ""), text)
    for candidate in (spelled, spelled.lower(), spelled.lower().rstrip("s")):
        try:
            return registry.parse_units(candidate)
        except Exception:
            continue
    raise InvalidArgument(f"unknown unit {name!r} (use a unit name such as 'km', 'mile', 'degC')")


class Formulas:
    """The formulas of the expression language; :class:`~.dbapi.Database` inherits them."""

    __slots__ = ()

    @staticmethod
    def in_format(value: Any, name: Any) -> bool:
        """Whether a text has a named format (``semver``, ``html``)."""
        if str(name) not in TEXT_FORMATS:
            raise InvalidArgument(
                f"unknown text format {name!r} (formats: {', '.join(sorted(TEXT_FORMATS))})"
            )
        return has_format(value, str(name))

    @staticmethod
    def mean_of(values: Any) -> float:
        """Arithmetic mean of a list of numbers."""
        numbers = _numbers(values, "values")
        return sum(numbers) / len(numbers)

    @staticmethod
    def sum_of(values: Any) -> float:
        """Sum of a non-empty list of numbers."""
        return sum(_numbers(values, "values"))

    @staticmethod
    def min_of(values: Any) -> float:
        """Smallest of a non-empty list of numbers."""
        return min(_numbers(values, "values"))

    @staticmethod
    def max_of(values: Any) -> float:
        """Largest of a non-empty list of numbers."""
        return max(_numbers(values, "values"))

    @staticmethod
    def median_of(values: Any) -> float:
        """Median of a list of numbers."""
        return float(statistics.median(_numbers(values, "values")))

    @staticmethod
    def stdev_of(values: Any) -> float:
        """Population standard deviation of a list of numbers."""
        return math.sqrt(Formulas.variance_of(values))

    @staticmethod
    def variance_of(values: Any) -> float:
        """Population variance of a list of numbers."""
        numbers = _numbers(values, "values")
        mean = sum(numbers) / len(numbers)
        return sum((x - mean) ** 2 for x in numbers) / len(numbers)

    @staticmethod
    def product_of(values: Any) -> float:
        """Product of a list of numbers."""
        return math.prod(_numbers(values, "values"))

    @staticmethod
    def div(numerator: Any, denominator: Any) -> float:
        """``numerator / denominator``; a zero denominator is an invalid argument."""
        bottom = _number(denominator, "the divisor")
        if bottom == 0:
            raise InvalidArgument("cannot divide by zero")
        return _number(numerator, "the dividend") / bottom

    @staticmethod
    def log_of(value: Any, base: Any = None) -> float:
        """Logarithm of ``value`` in ``base`` (natural when the base is None)."""
        x = _number(value, "the value")
        if x <= 0:
            raise InvalidArgument(f"the logarithm needs a positive value, got {value!r}")
        if base is None:
            return math.log(x)
        b = _number(base, "the base")
        if b <= 0 or b == 1:
            raise InvalidArgument(f"the logarithm's base must be positive and not 1, got {base!r}")
        return math.log(x, b)

    @staticmethod
    def sqrt_of(value: Any) -> float:
        """Square root of a non-negative number."""
        x = _number(value, "the value")
        if x < 0:
            raise InvalidArgument(f"the square root needs a non-negative value, got {value!r}")
        return math.sqrt(x)

    @staticmethod
    def factorial_of(value: Any) -> int:
        """``n!`` of a whole number from 0 to 170."""
        x = _number(value, "the value")
        if x != int(x) or not 0 <= x <= 170:
            raise InvalidArgument(
                f"the factorial needs a whole number from 0 to 170, got {value!r}"
            )
        return math.factorial(int(x))

    @staticmethod
    def power_of(base: Any, exponent: Any) -> float:
        """``base`` raised to ``exponent``."""
        b, e = _number(base, "the base"), _number(exponent, "the exponent")
        if b == 0 and e < 0:
            raise InvalidArgument("zero cannot be raised to a negative power")
        try:
            result = b**e
        except OverflowError:
            raise InvalidArgument(f"{base!r} ** {exponent!r} is too large") from None
        if isinstance(result, complex):
            raise InvalidArgument(f"{base!r} ** {exponent!r} is not a real number")
        return float(result)

    @staticmethod
    def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> float:
        """Great-circle distance in kilometres between two (latitude, longitude) points."""
        p1, p2 = math.radians(_number(lat1, "latitude")), math.radians(_number(lat2, "latitude"))
        dp = p2 - p1
        dl = math.radians(_number(lon2, "longitude") - _number(lon1, "longitude"))
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))

    @staticmethod
    def convert_units(value: Any, from_unit: Any, to_unit: Any) -> float:
        """``value`` in ``from_unit`` expressed in ``to_unit`` (pint's factors)."""
        quantity = _registry().Quantity(_number(value, "the value"), _unit(from_unit))
        try:
            return float(quantity.to(_unit(to_unit)).magnitude)
        except Exception:
            raise InvalidArgument(
                f"cannot convert {from_unit!r} to {to_unit!r}: they measure different things"
            ) from None


__all__ = ["EARTH_RADIUS_KM", "UNIT_FAMILIES", "Formulas", "unit_arguments", "unit_name"]

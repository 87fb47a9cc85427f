"""What a column's values mean, from its name, its JSON Schema and the entity it belongs to.

The semantic guides seeding and argument sampling (a ``customer_email`` gets an e-mail address,
a ``total_price`` a price). Explicit schema facts (``enum``, ``format``, ``pattern``) always win
over names when values are generated.
"""

from __future__ import annotations

from typing import Any

from agentscaler.naming import split_identifier

PERSON_ENTITIES = frozenset(
    """customer user passenger guest patient member employee contact owner holder recipient sender
    driver rider student teacher instructor doctor physician agent author client person traveler
    traveller tenant landlord buyer seller candidate applicant attendee participant subscriber
    account_holder policyholder beneficiary manager assignee reporter requester caller pet_owner
    host speaker organizer trainer nurse staff worker volunteer vendor_contact""".split()
)
COMPANY_WORDS = frozenset(
    "company organization organisation employer brand vendor merchant airline carrier provider "
    "restaurant hotel store shop bank insurer clinic pharmacy supplier manufacturer business".split()
)
MONEY_WORDS = frozenset(
    "price cost fee amount total balance salary fare budget payment charge refund deposit subtotal "
    "tax tip income revenue premium deductible rent wage earnings payout spend limit credit debt "
    "bill invoice_amount value".split()
)
QUANTITY_WORDS = frozenset(
    "quantity qty count seats guests nights adults children passengers stock capacity units "
    "tickets rooms beds attendees participants copies pieces number".split()
)
TEXT_WORDS = frozenset(
    "description notes note comment comments message body content text reason summary feedback bio "
    "instructions review remarks explanation details detail memo query question answer".split()
)
DURATION_WORDS = frozenset("duration minutes hours seconds days weeks months mins secs".split())
CATEGORY_WORDS = frozenset("type category kind class level tier plan priority grade mode".split())


def semantic_of(name: str, schema: dict[str, Any] | None = None, entity: str = "") -> str | None:
    """The semantic tag of a column (``email``, ``person_name``, ``price``...), or None."""
    schema = schema or {}
    words = split_identifier(name)
    if not words:
        return None
    last = words[-1]
    fmt = schema.get("format")
    json_type = schema.get("type")
    if isinstance(json_type, list):
        json_type = next((t for t in json_type if t != "null"), None)

    if fmt == "email" or "email" in words:
        return "email"
    if fmt in ("uri", "url", "iri") or words[-1] in ("url", "website", "link", "homepage", "uri"):
        return "url"
    if fmt == "date-time" or last in ("at", "timestamp", "datetime"):
        return "datetime"
    if (
        fmt == "date"
        or last in ("date", "dob", "birthday", "day")
        or words[-2:] == ("created", "on")
    ):
        return "date"
    if fmt == "time" or last == "time":
        return "time"
    if fmt == "uuid" or last in ("uuid", "guid"):
        return "uuid"
    if fmt in ("ipv4", "ip") or last == "ip":
        return "ip"
    if json_type == "boolean":
        return "boolean"
    if set(words) & {"phone", "mobile", "telephone", "fax", "tel"} and not (
        set(words) & {"serial", "model", "brand", "imei", "case", "os", "app", "plan"}
    ):  # a phone's serial number or model is not a number to call
        return "phone"
    if (
        "username" in words
        or words[-2:] in (("user", "name"), ("login", "name"))
        or last == "handle"
    ):
        return "username"
    if "name" in words or "surname" in words:
        if "first" in words or "given" in words:
            return "first_name"
        if "last" in words or "surname" in words or "family" in words:
            return "last_name"
        owner = "_".join(words[: words.index("name")]) if "name" in words else ""
        if owner in PERSON_ENTITIES or (not owner and entity in PERSON_ENTITIES) or "full" in words:
            return "person_name"
        if owner in COMPANY_WORDS or (not owner and entity in COMPANY_WORDS):
            return "company"
        return "label"
    if set(words) & {"street", "address"}:
        return "address"
    if last == "city" or last == "town":
        return "city"
    if (
        last in ("state", "province", "region")
        and json_type in (None, "string")
        and not schema.get("enum")
    ):
        return "state"
    if last in ("country", "nationality", "citizenship"):
        return "country"
    if last in ("zip", "zipcode", "postcode") or words[-2:] in (
        ("postal", "code"),
        ("zip", "code"),
    ):
        return "zip"
    if last in ("lat", "latitude"):
        return "latitude"
    if last in ("lon", "lng", "longitude"):
        return "longitude"
    if last == "currency" or words[-2:] == ("currency", "code"):
        return "currency"
    if last in ("status", "state"):
        return "status"
    if json_type in ("number", "integer") and set(words) & {"rating", "stars", "score"}:
        return "rating"
    if json_type in ("number", "integer") and set(words) & {"percent", "percentage", "discount"}:
        return "percentage"
    if json_type in ("number", "integer", None) and set(words) & MONEY_WORDS:
        return "price"
    if json_type in ("integer", None) and (
        set(words) & QUANTITY_WORDS or words[:2] == ("number", "of")
    ):
        return "quantity"
    if json_type in ("number", "integer") and set(words) & DURATION_WORDS:
        return "duration"
    if last == "year":
        return "year"
    if last == "age":
        return "age"
    if set(words) & COMPANY_WORDS and json_type in (None, "string"):
        return "company"
    if last in ("title", "subject", "headline"):
        return "title"
    if set(words) & TEXT_WORDS and json_type in (None, "string"):
        return "text"
    if last in ("color", "colour"):
        return "color"
    if last == "language":
        return "language"
    if last in ("job", "occupation", "position", "profession"):
        return "job"
    if last in ("token", "password", "secret"):
        return "token"
    if last in ("code", "sku", "reference", "ref") and json_type in (None, "string"):
        return "code"
    if last in CATEGORY_WORDS:
        return "category"
    return None

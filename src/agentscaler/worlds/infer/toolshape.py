"""Reading one tool: its verb, the nouns of its name, its parameters and its returned fields.

Everything is inferred from names and schemas; a ``kind:`` tag is only a hint for read/write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agentscaler.naming import (
    READ_VERBS,
    WRITE_VERBS,
    classify_tool,
    singular,
    split_identifier,
)
from agentscaler.records import ToolSpec
from agentscaler.worlds.infer.operations import COMMAND_VERBS, COMPUTATION_NOUNS
from agentscaler.worlds.interface import (
    ParamInfo,
    ReturnsInfo,
    read_params,
    read_returns,
)

FILLER_WORDS = frozenset(
    """a an the all any my new current existing specific single details detail info information
    data list status statuses by id ids available latest recent full""".split()
)
PREPOSITIONS = frozenset("by for with from in of to on at using via into per within and or".split())
TEXT_PARAMS = frozenset(
    "query q keyword keywords search search_term search_query term terms text search_text "
    "name_contains contains phrase".split()
)
LIMIT_PARAMS = frozenset(
    "limit max_results top_k top_n page_size per_page results_per_page max_items num_results "
    "max_count n_results number_of_results max_number".split()
)
SORT_PARAMS = frozenset("sort_by order_by sort sort_field sort_key".split())
OPTION_PARAMS = frozenset(
    "page offset cursor page_token next_token sort_order order direction ascending descending "
    "format language locale units unit fields include verbose detailed".split()
)
MIN_MARKERS = frozenset("min minimum from after since start_from gte over least".split())
MAX_MARKERS = frozenset("max maximum to before until upto gte_max lte under most".split())
ORDERED_SEMANTIC_WORDS = frozenset(
    "date time datetime at year price cost amount fee total rating stars score age duration "
    "distance salary budget balance capacity weight size length quantity count level".split()
)
_ID_EXAMPLE = re.compile(r"\b([A-Z][A-Z0-9]{1,5})([-_]?)(\d{3,10})\b")


@dataclass
class ToolShape:
    """What the compiler reads from one ToolSpec."""

    spec: ToolSpec
    words: tuple[str, ...]
    verb: str | None
    kind: str
    nouns: tuple[str, ...]
    params: list[ParamInfo]
    returns: ReturnsInfo
    tail: tuple[str, ...] = ()
    """Words after ``as`` in ``mark_order_as_shipped`` (a target status)."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def plural_noun(self) -> bool:
        if not self.nouns:
            return False
        last = self.nouns[-1]
        return singular(last) != last

    def noun_candidates(self) -> list[str]:
        """Entity names from the name's nouns, longest first (``hotel_room``, ``room``)."""
        if not self.nouns:
            return []
        nouns = (*self.nouns[:-1], singular(self.nouns[-1]))
        return ["_".join(nouns[i:]) for i in range(len(nouns))]

    def id_params(self) -> list[ParamInfo]:
        return [p for p in self.params if p.entity is not None and not p.id_list]


def analyze(spec: ToolSpec) -> ToolShape:
    """Read a tool's verb, nouns, parameters and returns.

    A name without a verb takes the verb its description starts with (``device_data_recovery``:
    "Recovers files ..."), and an agent noun ending the name stands for its verb
    (``DynamicChartGenerator`` generates a chart)."""
    words = split_identifier(spec.name)
    verb, verb_at = _verb(words)
    if verb is None:
        words, verb, verb_at = _agent_noun(words)
    if verb is None:
        verb = description_verb(spec.description)
    kind = _kind(spec, verb)
    after = words[verb_at + 1 :] if verb_at is not None else words
    before = words[:verb_at] if verb_at is not None else ()
    tail: tuple[str, ...] = ()
    if "as" in after:
        cut = after.index("as")
        tail = after[cut + 1 :]
        after = after[:cut]
    nouns = _noun_phrase(after) or _noun_phrase(before)
    if kind == "write" and nouns and nouns[-1] in CALLABLE_NOUNS:
        # write_html_tool: the tool is the callable, the thing is what its description names
        nouns = _described_object(spec.description, nouns[:-1]) or nouns[:-1] or nouns
    if kind == "write" and nouns:
        nouns = _expanded_head(spec, verb, nouns)
    params = read_params(spec.parameters)
    returns = read_returns(spec.returns)
    shape = ToolShape(spec, words, verb, kind, nouns, params, returns, tail)
    # a bare ``id`` parameter names the entity of the tool's name
    for param in params:
        if param.entity is None and param.column == "id" and nouns:
            param.id_list = param.json_type == "array"
            param.entity = (
                shape.noun_candidates()[-1]
                if len(nouns) == 1
                else "_".join((*nouns[-2:-1], singular(nouns[-1])))
            )
    return shape


NOUNISH_VERBS = frozenset(
    """issue order book file record log post review return report request schedule plan open
    start comment reply rate charge transfer invoice bill claim dispute match sort filter rank
    quote preview share like follow link sign top lock hold flag stop design access""".split()
)


def name_verb(name: str) -> tuple[str | None, tuple[str, ...]]:
    """The verb of a tool's name and the words after it (``purchase``, ``(virtual, item)``)."""
    words = split_identifier(name)
    verb, at = _verb(words)
    return verb, (words[at + 1 :] if at is not None else ())


def _is_verb(word: str) -> bool:
    return word in READ_VERBS or word in WRITE_VERBS or word in COMMAND_VERBS


def _is_write_verb(word: str) -> bool:
    return word in WRITE_VERBS or word in COMMAND_VERBS


def _verb(words: tuple[str, ...]) -> tuple[str | None, int | None]:
    """The tool's verb: the first known verb, skipping words that are often nouns (``issue``,
    ``order``) when an unambiguous verb follows (``issue_fields_api_get_fields``); of a read
    and a write joined by ``and`` (``scan_and_manage_entries``) the write, since the call
    changes state."""
    found = [(i, w) for i, w in enumerate(words) if _is_verb(w)]
    if not found:
        return None, None
    for index, word in found:
        if (
            index > 0
            and words[index - 1] == "and"
            and _is_write_verb(word)
            and word not in READ_VERBS
            and any(w in READ_VERBS and not _is_write_verb(w) for _, w in found if _ < index)
        ):
            return word, index
    for index, word in found:
        if index == len(words) - 1 and index != found[0][0]:
            break  # post_release, create_order: a verb ending the name is the object noun
        if word not in NOUNISH_VERBS:
            if index == found[0][0] or found[0][1] in NOUNISH_VERBS:
                return word, index
            break
    return found[0][1], found[0][0]


def _kind(spec: ToolSpec, verb: str | None) -> str:
    for tag in spec.tags:
        if tag in ("kind:read", "kind:write"):
            return tag[5:]
    if verb in READ_VERBS:
        return "read"
    if verb == "run" and set(split_identifier(spec.name)) & COMPUTATION_NOUNS:
        return "read"  # run_mobile_test computes a result; run_microwave commands a device
    if verb in WRITE_VERBS or verb in COMMAND_VERBS:
        return "write"
    return classify_tool(spec.name, spec.tags)


_DESCRIPTION_OPENERS = re.compile(
    r"^(?:.*?\btool description:\s*)?(?:(?:this|the)\s+(?:function|tool|api|endpoint|method|"
    r"service|operation)\s+(?:is\s+used\s+to\s+|will\s+|can\s+)?)?",
    re.IGNORECASE | re.DOTALL,
)


def description_verb(description: str) -> str | None:
    """The known verb a description starts with ("Recovers files ...", "This function creates
    a chart ..."), in its base form; None when it starts with anything else."""
    text = _DESCRIPTION_OPENERS.sub("", description.strip(), count=1)
    match = re.match(r"[A-Za-z]+", text)
    if not match:
        return None
    word = match.group(0).lower()
    for base in (
        word,
        word[:-1] if word.endswith("s") else "",
        word[:-2] if word.endswith("es") else "",
    ):
        if base and _is_verb(base):
            return base
    return None


def _agent_noun(
    words: tuple[str, ...],
) -> tuple[tuple[str, ...], str | None, int | None]:
    """``(chart, generator)`` -> the words with the agent noun as a verb at its place
    (``generate``); the words unchanged and no verb when the name ends otherwise."""
    if len(words) < 2:
        return words, None, None
    last = words[-1]
    for suffix in ("or", "er"):
        if not last.endswith(suffix) or len(last) < 6:
            continue
        stem = last[: -len(suffix)]
        stems = [stem, stem + "e"]
        if len(stem) > 2 and stem[-1] == stem[-2]:
            stems.append(stem[:-1])
        for base in stems:
            if _is_verb(base):
                return (*words[:-1], base), base, len(words) - 1
    return words, None, None


CALLABLE_NOUNS = frozenset("tool function api service helper utility handler".split())
"""Words naming the callable itself rather than the thing it acts on (``write_html_tool``)."""


def _described_object(description: str, nouns: tuple[str, ...]) -> tuple[str, ...]:
    """The object noun phrase after the description's leading verb ("Writes an HTML file to
    disk" -> ``(html, file)``) when it contains the name's remaining nouns; else ()."""
    text = _DESCRIPTION_OPENERS.sub("", description.strip(), count=1)
    words = split_identifier(re.split(r"[.;:,(]", text, maxsplit=1)[0])
    if len(words) < 2 or description_verb(words[0]) is None:
        return ()
    phrase = _noun_phrase(tuple(w for w in words[1:] if w not in ("a", "an", "the")))
    if not phrase or (nouns and not set(nouns) & set(phrase)):
        return ()
    return phrase


def _expanded_head(spec: ToolSpec, verb: str | None, nouns: tuple[str, ...]) -> tuple[str, ...]:
    """The name's nouns with an acronym head completed as the description spells it, when the
    description opens with the same verb: ``createSMS`` "Create a new SMS message" ->
    ``(sms, message)``. Only an acronym (written in capitals in the name) is completed: a
    shortened word keeps the name's spelling (``add_service_config`` stays ``service_config``
    though its description says "service configuration")."""
    text = _DESCRIPTION_OPENERS.sub("", spec.description.strip(), count=1)
    words = split_identifier(re.split(r"[.;:,(]", text, maxsplit=1)[0])
    if len(words) < 2 or verb is None or description_verb(words[0]) != verb:
        return nouns
    phrase = _noun_phrase(tuple(w for w in words[1:] if w not in ("a", "an", "the")))
    if not phrase:
        return nouns
    head, described = singular(nouns[-1]), singular(phrase[-1])
    if described == head:
        return nouns
    acronym = re.search(rf"(?<![A-Z]){re.escape(head.upper())}(?![a-z])", spec.name)
    if acronym and head in phrase[:-1]:
        return (*nouns, described)
    return nouns


_THING_ENDS = PREPOSITIONS | frozenset("through across over onto toward towards as".split())
_ARTICLES = frozenset("a an the this that these those some its their specified given".split())


def described_thing(description: str) -> tuple[str, ...]:
    """The words of what a description's leading verb acts on, up to a preposition ("Move an
    object to a 3D coordinate" -> ``(object,)``, "Send data through a network" -> ``(data,)``);
    () when the description does not start with a known verb."""
    text = _DESCRIPTION_OPENERS.sub("", description.strip(), count=1)
    words = split_identifier(re.split(r"[.;:,(]", text, maxsplit=1)[0])
    if len(words) < 2 or description_verb(words[0]) is None:
        return ()
    kept: list[str] = []
    for word in words[1:]:
        if word in _THING_ENDS:
            break
        if word not in _ARTICLES and not word.isdigit():
            kept.append(word)
    return tuple(kept[-2:])


def _noun_phrase(words: tuple[str, ...]) -> tuple[str, ...]:
    kept: list[str] = []
    for word in words:
        if word in PREPOSITIONS:
            if kept:
                break
            continue
        if word in FILLER_WORDS or word.isdigit():
            continue
        kept.append(word)
    return tuple(kept[-2:])


def id_format(shape_params: list[tuple[dict[str, Any], str]]) -> tuple[str, int, str | None] | None:
    """``(prefix, width, pattern)`` of ids from their schemas and descriptions.

    ``^ORD-\\d{6}$`` or an example like ``ORD-104233`` give ``("ORD-", 6, None)``; a pattern
    that is not prefix+digits is returned as the pattern to match; None when nothing says.
    """
    pattern_seen: str | None = None
    for schema, _description in shape_params:
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            match = re.fullmatch(r"\^?([A-Za-z]*[-_]?)(?:\\d|\[0-9\])\{(\d+)\}\$?", pattern)
            if match:
                return match.group(1), int(match.group(2)), None
            pattern_seen = pattern
    if pattern_seen is not None:
        return "", 0, pattern_seen
    for schema, description in shape_params:
        texts = [description, str(schema.get("description", ""))]
        texts += [str(e) for e in schema.get("examples", ()) or ()]
        if "example" in schema:
            texts.append(str(schema["example"]))
        for text in texts:
            match = _ID_EXAMPLE.search(text or "")
            if match:
                return match.group(1) + match.group(2), len(match.group(3)), None
    return None

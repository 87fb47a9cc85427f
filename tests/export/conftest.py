"""A builder of small, realistic run folders holding kept (and rejected) episodes.

Three worlds with different tools (retail orders, flights, a Chinese-language hotel desk); each
task gets multi-turn episodes with parallel tool calls, a tool error the agent recovers from,
reasoning, non-ASCII text and a trailing user turn, written the way the pipeline writes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agentscaler.jsonl import write_json, write_records
from agentscaler.records import (
    Domain,
    DomainMember,
    DomainStats,
    Episode,
    GoldCall,
    Message,
    PolicyInfo,
    Task,
    Termination,
    ToolCall,
    ToolCallFunction,
    Verdict,
)
from agentscaler.records.verdict import RejectReason


def _tool(name: str, description: str, properties: dict, required: list[str]) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


RETAIL_TOOLS = [
    _tool(
        "find_user_by_email",
        "Find a customer by e-mail address.",
        {"email": {"type": "string", "description": "the customer's e-mail"}},
        ["email"],
    ),
    _tool(
        "get_order",
        "Get one order with its items and status.",
        {"order_id": {"type": "string", "pattern": "^#W\\d+$"}},
        ["order_id"],
    ),
    _tool(
        "cancel_order",
        "Cancel a pending order.",
        {
            "order_id": {"type": "string"},
            "reason": {"type": "string", "enum": ["no longer needed", "ordered by mistake"]},
        },
        ["order_id", "reason"],
    ),
]

FLIGHT_TOOLS = [
    _tool(
        "search_flights",
        "Search direct flights between two airports on a date.",
        {
            "origin": {"type": "string", "minLength": 3, "maxLength": 3},
            "destination": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "max_price": {"type": "number", "minimum": 0},
        },
        ["origin", "destination", "date"],
    ),
    _tool(
        "book_flight",
        "Book a seat on a flight for a passenger.",
        {
            "flight_number": {"type": "string"},
            "passenger": {
                "type": "object",
                "properties": {"first_name": {"type": "string"}, "last_name": {"type": "string"}},
            },
            "cabin": {"type": "string", "enum": ["economy", "business"]},
            "bags": {"type": "integer", "default": 0},
        },
        ["flight_number", "passenger"],
    ),
]

HOTEL_TOOLS = [
    _tool(
        "查询酒店",
        "按城市和日期查询可预订的酒店。",
        {"城市": {"type": "string"}, "入住日期": {"type": "string"}, "晚数": {"type": "integer"}},
        ["城市", "入住日期"],
    ),
    _tool(
        "预订房间",
        "预订酒店房间。",
        {"hotel_id": {"type": "string"}, "guest_name": {"type": "string"}},
        ["hotel_id", "guest_name"],
    ),
]


class Chat:
    """Builds OpenAI-format messages with tool-call ids and JSON-string arguments."""

    def __init__(self, system: str) -> None:
        self.messages: list[Message] = [Message(role="system", content=system)]
        self._calls = 0
        self._pending: list[str] = []

    def user(self, text: str) -> Chat:
        self.messages.append(Message(role="user", content=text))
        return self

    def say(self, text: str, reasoning: str | None = None) -> Chat:
        self.messages.append(Message(role="assistant", content=text, reasoning_content=reasoning))
        return self

    def call(self, *calls: tuple[str, dict], text: str | None = None, reasoning=None) -> Chat:
        tool_calls = []
        self._pending = []
        for name, arguments in calls:
            self._calls += 1
            call_id = f"call_{self._calls}"
            tool_calls.append(
                ToolCall(
                    id=call_id,
                    function=ToolCallFunction(
                        name=name, arguments=json.dumps(arguments, ensure_ascii=False)
                    ),
                )
            )
            self._pending.append(call_id)
        self.messages.append(
            Message(
                role="assistant",
                content=text,
                tool_calls=tuple(tool_calls),
                reasoning_content=reasoning,
            )
        )
        return self

    def results(self, *outputs) -> Chat:
        for call_id, output in zip(self._pending, outputs, strict=True):
            self.messages.append(
                Message(
                    role="tool",
                    tool_call_id=call_id,
                    content=json.dumps(output, ensure_ascii=False),
                )
            )
        self._pending = []
        return self


def retail_chat(i: int) -> Chat:
    email = f"noa.{i}@example.com"
    orders = [f"#W{1000 + i}", f"#W{2000 + i}"]
    return (
        Chat("You are a retail support agent. Verify the customer before changing orders.")
        .user(f"Hi, I want to cancel an order. My e-mail is noa.{i}@exmaple.com")
        .call(("find_user_by_email", {"email": f"noa.{i}@exmaple.com"}))
        .results({"error": {"type": "not_found", "message": f"no user noa.{i}@exmaple.com"}})
        .say("I could not find that address. Could you check the spelling of your e-mail?")
        .user(f"Sorry, it is {email}. The order is one of {orders[0]} or {orders[1]}.")
        .call(("find_user_by_email", {"email": email}))
        .results({"user_id": f"U{i}", "name": "Noa Müller"})
        .call(
            ("get_order", {"order_id": orders[0]}),
            ("get_order", {"order_id": orders[1]}),
            text="Thanks, Noa. Let me look at both orders.",
        )
        .results(
            {"order_id": orders[0], "status": "delivered", "total": 31.5},
            {"order_id": orders[1], "status": "pending", "total": 12.0, "items": ["Tasse ☕"]},
        )
        .say(
            f"Order {orders[1]} (12.00 €) is still pending, so it can be cancelled; "
            f"{orders[0]} was already delivered. Shall I cancel {orders[1]}?"
        )
        .user("Yes please, I no longer need it.")
        .call(("cancel_order", {"order_id": orders[1], "reason": "no longer needed"}))
        .results({"order_id": orders[1], "status": "cancelled", "refund": 12.0})
        .say(f"Done: {orders[1]} is cancelled and 12.00 € will be refunded.")
        .user("Great, thanks! ###STOP###")
    )


def flight_chat(i: int) -> Chat:
    flight = f"LA{300 + i}"
    return (
        Chat("You are an airline booking agent.")
        .user("I need a flight from GRU to LIS on 2025-03-14, under 900.")
        .call(
            (
                "search_flights",
                {"origin": "GRU", "destination": "LIS", "date": "2025-03-14", "max_price": 900},
            ),
            reasoning="The user gave origin, destination, date and a budget; search first.",
        )
        .results([{"flight_number": flight, "price": 812.4, "departs": "22:05"}])
        .say(
            f"{flight} leaves São Paulo at 22:05 for 812.40. Who is travelling, and which cabin?",
            reasoning="One flight fits the budget.",
        )
        .user("Zoë Ñúñez, economy, one bag.")
        .call(
            (
                "book_flight",
                {
                    "flight_number": flight,
                    "passenger": {"first_name": "Zoë", "last_name": "Ñúñez"},
                    "cabin": "economy",
                    "bags": 1,
                },
            )
        )
        .results({"confirmation": f"PNR{i:04d}", "seat": "23C"})
        .say(f"Booked! Confirmation PNR{i:04d}, seat 23C. Boa viagem! ✈️")
    )


def hotel_chat(i: int) -> Chat:
    return (
        Chat("你是酒店预订助手。")
        .user("我想在杭州订一间房，3月1日入住，住两晚。")
        .call(("查询酒店", {"城市": "杭州", "入住日期": "2025-03-01", "晚数": 2}))
        .results([{"hotel_id": f"H{i}", "名称": "西湖宾馆", "价格": 688}])
        .say("西湖宾馆有空房，每晚688元。请问入住人姓名？")
        .user("李雷")
        .call(("预订房间", {"hotel_id": f"H{i}", "guest_name": "李雷"}))
        .results({"订单号": f"B{i}", "状态": "已确认"})
        .say(f"已为李雷预订西湖宾馆，订单号 B{i}。祝您入住愉快！")
    )


@dataclass
class DomainSpec:
    id: str
    name: str
    terms: tuple[str, ...]
    tools: list[dict]
    chat: object


DOMAINS = (
    DomainSpec(
        "d0001-order", "order cancel", ("orders", "refund", "customer"), RETAIL_TOOLS, retail_chat
    ),
    DomainSpec(
        "d0002-flight",
        "flight booking",
        ("flights", "airline", "passenger"),
        FLIGHT_TOOLS,
        flight_chat,
    ),
    DomainSpec("d0003-hotel", "hotel room", ("hotels", "酒店"), HOTEL_TOOLS, hotel_chat),
)


@dataclass
class RunFolder:
    """Records of a run folder, written by :meth:`write`."""

    root: Path
    domains: list[DomainSpec] = field(default_factory=lambda: list(DOMAINS))
    tasks: list[Task] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)

    def add_task(self, spec: DomainSpec, index: int, *, trials: int = 1, rejected: int = 0) -> Task:
        task = Task(
            id=f"{spec.id}-task-{index:04d}",
            domain_id=spec.id,
            world_id=f"w-{spec.id}",
            seed=index,
            initial_state=f"s{index:08x}",
            gold_calls=(
                GoldCall(
                    name=spec.tools[0]["function"]["name"],
                    arguments={},
                    kind="read",
                ),
            ),
            gold_final_state=f"g{index:08x}",
            read_only=False,
            intent="You want help from the agent.",
        )
        self.tasks.append(task)
        for trial in range(trials + rejected):
            chat = spec.chat(index)
            episode = Episode(
                id=f"{task.id}#{trial}",
                task_id=task.id,
                trial=trial,
                domain_id=spec.id,
                # tasks of even index played offline (oracle agent, scripted user), odd by models
                agent=PolicyInfo(kind="oracle_agent", offline=True)
                if index % 2 == 0
                else PolicyInfo(kind="llm", model="agent-model"),
                user=PolicyInfo(kind="scripted_user", offline=True)
                if index % 2 == 0
                else PolicyInfo(kind="llm", model="user-model"),
                messages=tuple(chat.messages),
                termination=Termination.USER_STOP,
                tool_calls=sum(len(m.tool_calls or ()) for m in chat.messages),
            )
            self.episodes.append(episode)
            kept = trial < trials
            self.verdicts.append(
                Verdict(
                    episode_id=episode.id,
                    task_id=task.id,
                    domain_id=spec.id,
                    kept=kept,
                    stage=None if kept else "state",
                    reason=None if kept else RejectReason.STATE_MISMATCH,
                    goal_reached=kept,
                )
            )
        return task

    def populate(
        self, tasks_per_domain: int = 4, *, trials: int = 1, rejected: int = 1
    ) -> RunFolder:
        for spec in self.domains:
            for index in range(tasks_per_domain):
                self.add_task(spec, index, trials=trials, rejected=rejected)
        return self

    def write(self, shards: int = 2) -> Path:
        root = self.root
        write_records(root / "domains.jsonl", [self._domain(spec) for spec in self.domains])
        for spec in self.domains:
            write_json(root / "worlds" / spec.id / "tools.json", spec.tools)
        write_records(root / "tasks.jsonl", self.tasks)
        for shard in range(shards):
            write_records(
                root / "episodes" / f"shard-{shard:03d}.jsonl", self.episodes[shard::shards]
            )
        write_records(root / "filtered" / "kept.jsonl", [v for v in self.verdicts if v.kept])
        write_records(
            root / "filtered" / "rejected.jsonl", [v for v in self.verdicts if not v.kept]
        )
        return root

    @staticmethod
    def _domain(spec: DomainSpec) -> Domain:
        members = tuple(
            DomainMember(tool_id=f"t{i}", name=t["function"]["name"], kind="read")
            for i, t in enumerate(spec.tools)
        )
        stats = DomainStats(
            size=len(members),
            reads=len(members),
            writes=0,
            internal_similarity_edges=1,
            dependency_edges=1,
            mean_similarity=0.5,
        )
        return Domain(id=spec.id, name=spec.name, terms=spec.terms, members=members, stats=stats)


@pytest.fixture
def run_folder(tmp_path) -> RunFolder:
    """An unwritten run folder with 4 tasks per domain, one kept and one rejected episode each."""
    return RunFolder(tmp_path / "run").populate()

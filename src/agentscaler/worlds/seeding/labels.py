"""Short realistic texts for named fields that are neither free text nor a known kind: names
and titles by what the row is (a pet's name, a task's title, a product's name), e-mail and
ticket subjects, a trip's purpose, a channel's topic, a dog's breed, a device's model (people,
organisations, time zones, vehicles and opening hours come from :mod:`.names`).

Every draw takes the caller's random stream, so a seed gives the same values everywhere; a
field nothing here knows gets its own words and a number ("Batch 12"), never random words.
"""

from __future__ import annotations

import random
from functools import lru_cache

from agentscaler.naming import split_identifier
from agentscaler.worlds.seeding.common_fields import Maker, Pools, common_maker, from_pool, one_of
from agentscaler.worlds.seeding.names import make_name, name_kind

_PURPOSES = (
    "Attend a conference in the capital",
    "Visit family for the holidays",
    "Tourism and sightseeing",
    "Business meetings with a partner company",
    "Study for a semester at a university",
    "Attend a friend's wedding",
    "Take part in a training course",
    "Start a new job offer",
)
_TOPICS = (
    "Weekly planning and status updates",
    "Release coordination",
    "Customer feedback and feature requests",
    "Office announcements",
    "Incident response",
    "Hiring and onboarding",
    "Design reviews",
    "Social events and lunch plans",
)
_EMAIL_SUBJECTS = (
    "Meeting notes",
    "Invoice for last month",
    "Quick question about the proposal",
    "Follow-up on our call",
    "Updated schedule",
    "Welcome to the team",
    "Contract draft for review",
    "Travel plans for the conference",
    "Budget figures",
    "Agenda for Thursday",
)
_SUPPORT_SUBJECTS = (
    "Cannot log in to my account",
    "Laptop will not turn on",
    "Printer on the second floor is offline",
    "VPN disconnects every few minutes",
    "Request for a new monitor",
    "Email not syncing on my phone",
    "Password reset needed",
    "Software licence has expired",
)
_CRM_SUBJECTS = (
    "Intro call with the buyer",
    "Demo of the premium plan",
    "Pricing follow-up",
    "Quarterly business review",
    "Contract renewal discussion",
    "Onboarding kickoff",
)
_TASK_VERBS = ("Update", "Prepare", "Review", "Fix", "Draft", "Plan", "Test", "Publish", "Clean up")
_TASK_OBJECTS = (
    "the onboarding checklist",
    "the quarterly report",
    "the login page",
    "the vendor contract",
    "the team offsite",
    "the release notes",
    "the database backups",
    "the project budget",
    "the API documentation",
    "the pricing page",
    "the hiring plan",
    "the security audit",
)
_MEETINGS = (
    "Kickoff",
    "Design review",
    "Planning",
    "Retro",
    "Sync",
    "Demo",
    "Workshop",
    "Check-in",
)
_EVENT_WORDS = ("Midnight", "Summer", "Open-Air", "Acoustic", "Winter", "Grand", "Late", "Spring")
_EVENT_KINDS = (
    "Jazz Night",
    "Indie Festival",
    "Comedy Show",
    "Symphony Concert",
    "Tech Conference",
    "Art Exhibition",
    "Food and Wine Fair",
    "Film Screening",
)
_REVIEW_TITLES = (
    "Great value for the price",
    "Works exactly as described",
    "Stopped working after a month",
    "Better than I expected",
    "Good quality, slow delivery",
    "Would buy again",
)
_TITLE_WORDS = ("Silent", "Last", "Hidden", "Northern", "Quiet", "Lost", "Golden", "Distant")
_TITLE_NOUNS = (
    "Harbor",
    "Lighthouse",
    "Garden",
    "Detective",
    "River",
    "Kingdom",
    "Letter",
    "Summer",
)

_COURSE_LEVELS = ("Introduction to", "Foundations of", "Advanced", "Practical", "Essentials of")
_COURSE_SUBJECTS = (
    "Data Analysis",
    "Spanish",
    "Accounting",
    "Web Development",
    "Public Speaking",
    "Project Management",
    "Photography",
    "Statistics",
)
_LISTING_TITLES = (
    "Bright two-bedroom flat",
    "Family house with a large garden",
    "Modern studio",
    "Renovated townhouse",
    "Quiet cottage with lake views",
    "Spacious loft",
)
_HEADLINES = (
    "Data scientist and patient teacher",
    "Certified yoga instructor",
    "Software engineer teaching web development",
    "Language teacher with ten years of experience",
)
_PRODUCTS = (
    "Wireless Noise-Cancelling Headphones",
    "Stainless Steel Water Bottle",
    "Ergonomic Office Chair",
    "4K Ultra HD Monitor",
    "Cotton Crew-Neck T-Shirt",
    "Robot Vacuum Cleaner",
    "Running Shoes",
    "Bluetooth Speaker",
    "Ceramic Coffee Mug",
    "Leather Wallet",
)
_DISHES = (
    "Margherita Pizza",
    "Pepperoni Pizza",
    "Chicken Tikka Masala",
    "Lamb Rogan Josh",
    "Caesar Salad",
    "Greek Salad",
    "Beef Burger with Fries",
    "Veggie Burger",
    "Pad Thai",
    "Green Curry",
    "Salmon Sushi Roll",
    "Tuna Poke Bowl",
    "Vegetable Lasagna",
    "Spaghetti Carbonara",
    "Chicken Burrito",
    "Falafel Wrap",
    "Ramen with Pork Belly",
    "Fish and Chips",
    "Chocolate Brownie",
    "Cheesecake",
)
_PROJECTS = (
    "Website Redesign",
    "Mobile App Launch",
    "Autumn Marketing Campaign",
    "Office Move",
    "Customer Portal",
    "Data Warehouse Migration",
)
_CALENDARS = ("Work", "Family", "Personal", "Team Events", "Holidays", "Fitness")
_ROOMS = ("Living Room", "Kitchen", "Bedroom", "Hallway", "Garage", "Office", "Porch", "Nursery")
_DEVICE_KINDS = ("Lamp", "Speaker", "Light", "Camera", "Plug", "Fan", "Thermostat", "Lock")
_PET_NAMES = (
    "Bella",
    "Max",
    "Luna",
    "Charlie",
    "Milo",
    "Daisy",
    "Rocky",
    "Coco",
    "Bailey",
    "Lucy",
    "Cooper",
    "Nala",
    "Oscar",
    "Simba",
    "Ruby",
    "Teddy",
    "Willow",
    "Buster",
    "Pepper",
    "Ziggy",
    "Maple",
    "Biscuit",
    "Hazel",
    "Jasper",
    "Olive",
    "Finn",
    "Poppy",
    "Rosie",
    "Bruno",
    "Mochi",
)
_PLANS = ("Basic", "Standard", "Premium", "Family", "Unlimited", "Student")
_AUTOMATIONS = ("Good Morning", "Away Mode", "Movie Night", "Bedtime", "Welcome Home", "Wake Up")
_WHEN = ("Weekday", "Weekend", "Summer", "Winter", "Holiday", "Guest")
_MILESTONES = ("Beta release", "Design sign-off", "MVP launch", "Public launch", "Code freeze")
_LABELS = ("Receipts", "Travel", "Work", "Family", "Newsletters", "Important", "Bills", "School")
_LABEL_PARTS = ("2024", "2025", "Archive", "Personal", "Team", "To do", "Taxes", "Projects")
_CHANNELS = ("general", "random", "engineering", "design", "support", "announcements", "sales")
_CHANNEL_PARTS = ("emea", "us", "apac", "alerts", "team", "launch", "oncall", "help")
_CALENDAR_PARTS = ("Shared", "Home", "Office", "Kids", "London", "Team", "Private", "2025")
_PHASES = ("Phase 2", "2025", "Pilot", "Rollout", "Q3", "Q4", "v2")
_VARIANTS = ("Black", "White", "Large", "Small", "2-Pack", "Blue", "Grey", "Pro")
_DEAL_KINDS = ("renewal", "expansion", "annual licence", "pilot", "enterprise plan")
_BREEDS = (
    "Labrador Retriever",
    "German Shepherd",
    "Golden Retriever",
    "French Bulldog",
    "Beagle",
    "Siamese",
    "Maine Coon",
    "Border Collie",
)
_DEVICE_MODELS = (
    "ThinkPad T14",
    "MacBook Pro 14",
    "Latitude 5440",
    "EliteBook 840",
    "iPhone 15",
    "Galaxy S23",
)
_BEDS = ("1 king bed", "2 queen beds", "1 double bed", "2 single beds")
_LOCATIONS = ("Conference Room B", "Main office, 3rd floor", "Video call", "Cafe on Main Street")
_NEIGHBORHOODS = ("Downtown", "Riverside", "Old Town", "Hillcrest", "Harbour View", "Midtown")
_NICKNAMES = ("Everyday checking", "Savings", "Holiday fund", "Joint account", "Rainy day fund")
_LAB_TESTS = (
    "Complete blood count",
    "Lipid panel",
    "HbA1c",
    "Vitamin D",
    "Thyroid panel",
    "Liver function panel",
    "Kidney function panel",
    "Iron studies",
    "Vitamin B12",
    "C-reactive protein",
    "Urinalysis",
    "Fasting glucose",
)
_DRUGS = (
    "Atorvastatin",
    "Metformin",
    "Lisinopril",
    "Amoxicillin",
    "Omeprazole",
    "Sertraline",
    "Amlodipine",
    "Levothyroxine",
    "Simvastatin",
    "Losartan",
    "Ibuprofen",
    "Cetirizine",
)
_STRENGTHS = ("5 mg", "10 mg", "20 mg", "40 mg", "50 mg", "100 mg", "250 mg", "500 mg")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_SITES = ("Berlin office", "London office", "2nd floor", "reception", "home office", "warehouse")

_CODE_WORDS = frozenset({"serial", "plate", "license", "licence", "batch", "lot"})


def _code(rng: random.Random, entity: str, pools: Pools) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
    return f"{letters}{rng.randint(1000, 9999)}"


def _place(rng: random.Random, entity: str, pools: Pools) -> str:
    what = " ".join(split_identifier(entity)).title() or "Centre"
    return f"{rng.choice(pools('city'))} {what}"


def _two(first: tuple[str, ...], second: tuple[str, ...], form: str, alone: float = 0.3) -> Maker:
    """A name of two parts (``Kitchen Lamp``, ``Travel/2025``, ``support-emea``); the first
    alone some of the time. Names a service keeps unique need more than a short list holds."""

    def make(rng: random.Random, entity: str, pools: Pools) -> str:
        one = rng.choice(first)
        if rng.random() < alone:
            return one
        return form.format(one, rng.choice(second))

    return make


_DATABASES = ("orders", "analytics", "inventory", "customers", "billing", "reporting", "events")
_HOSTS = ("db", "api", "web", "cache", "mail", "app", "files", "search")


def _host(rng: random.Random, entity: str, pools: Pools) -> str:
    return f"{rng.choice(_HOSTS)}{rng.randint(1, 40)}.{rng.choice(('example.com', 'internal.example.net'))}"


def _subject(rng: random.Random, entity: str, pools: Pools) -> str:
    words = set(split_identifier(entity))
    if words & {"ticket", "issue", "case", "incident"}:
        return f"{rng.choice(_SUPPORT_SUBJECTS)} ({rng.choice(_SITES)})"
    if words & {"activity", "call", "meeting", "deal"}:
        return f"{rng.choice(_CRM_SUBJECTS)} - {rng.choice(pools('company'))}"
    return f"{rng.choice(_EMAIL_SUBJECTS)} - {rng.choice(_MONTHS)}"


_TASK_TITLE = _two(_TASK_VERBS, _TASK_OBJECTS, "{} {}", alone=0.0)
_STORY_TITLE = _two(_TITLE_WORDS, _TITLE_NOUNS, "The {} {}", alone=0.0)
_TITLES_BY_ENTITY = (
    ({"task", "todo", "milestone", "issue"}, _TASK_TITLE),
    ({"calendar", "meeting", "appointment"}, _two(_MEETINGS, _PROJECTS, "{}: {}", alone=0.0)),
    ({"event", "show", "concert"}, _two(_EVENT_WORDS, _EVENT_KINDS, "{} {}", alone=0.0)),
    ({"review", "rating"}, one_of(_REVIEW_TITLES)),
    ({"book", "loan", "hold", "movie", "title", "film", "episode", "show"}, _STORY_TITLE),
    (
        {"course", "cours", "lesson", "class", "module"},
        _two(_COURSE_LEVELS, _COURSE_SUBJECTS, "{} {}", alone=0.0),
    ),
    ({"listing", "property", "home"}, _two(_LISTING_TITLES, _NEIGHBORHOODS, "{} in {}", alone=0.0)),
    ({"job", "posting", "employee", "contact", "user", "position"}, from_pool("job")),
)
_NAMES_BY_ENTITY = (
    ({"product", "item", "sku", "article"}, _two(_PRODUCTS, _VARIANTS, "{} ({})")),
    ({"dish", "menu", "meal"}, one_of(_DISHES)),
    ({"project"}, _two(_PROJECTS, _PHASES, "{} {}")),
    ({"calendar"}, _two(_CALENDARS, _CALENDAR_PARTS, "{} - {}")),
    ({"device", "appliance", "sensor"}, _two(_ROOMS, _DEVICE_KINDS, "{} {}", alone=0.0)),
    ({"pet", "animal"}, one_of(_PET_NAMES)),
    ({"plan", "tier", "membership", "subscription"}, one_of(_PLANS)),
    ({"automation", "routine", "scene"}, _two(_AUTOMATIONS, _WHEN, "{1} {0}")),
    ({"milestone"}, one_of(_MILESTONES)),
    ({"label", "folder", "tag"}, _two(_LABELS, _LABEL_PARTS, "{}/{}")),
    ({"channel"}, _two(_CHANNELS, _CHANNEL_PARTS, "{}-{}")),
    ({"title", "movie", "film"}, _STORY_TITLE),
    ({"medication", "drug", "prescription"}, _two(_DRUGS, _STRENGTHS, "{} {}", alone=0.0)),
    ({"payee", "contact", "person", "user", "member", "customer"}, from_pool("person_name")),
)


def _by_entity(table: tuple[tuple[set[str], Maker], ...], entity: str) -> Maker | None:
    words = set(split_identifier(entity))
    return next((make for keys, make in table if keys & words), None)


def _deal(rng: random.Random, entity: str, pools: Pools) -> str:
    return f"{rng.choice(pools('company'))} {rng.choice(_DEAL_KINDS)}"


@lru_cache(maxsize=4096)
def _maker(name: str, entity: str, examples: tuple[str, ...] = ()) -> Maker:
    """How a field's values are made, decided once per field name, entity and the examples its
    description gives."""
    kind = name_kind(name, entity)
    if kind is not None:  # people, organisations, time zones, vehicles, hours: made by kind
        return lambda rng, e, pools: make_name(kind, rng, {}, e, pools)
    common = common_maker(name, entity)
    if common is not None:  # a user name, a league, a season, a ticker, an id of no table
        return common
    words = split_identifier(name)
    last = words[-1] if words else ""
    every = set(words)
    fixed: dict[str, Maker] = {
        "purpose": one_of(_PURPOSES),
        "topic": one_of(_TOPICS),
        "subject": _subject,
        "headline": one_of(_HEADLINES),
        "breed": one_of(_BREEDS),
        "location": one_of(_LOCATIONS),
        "neighborhood": one_of(_NEIGHBORHOODS),
        "configuration": one_of(_BEDS),
        "host": _host,
        "hostname": _host,
        "database": _two(_DATABASES, ("prod", "staging", "dev", "eu", "us", "v2"), "{}_{}"),
    }
    if last == "nickname":
        if set(split_identifier(entity)) & {"account", "card", "wallet"}:
            return one_of(_NICKNAMES)
        what = " ".join(split_identifier(entity)).title() or "Item"
        return lambda rng, e, pools: f"{rng.choice(pools('city'))} {what}"
    if last in fixed:
        return fixed[last]
    if last == "model":
        return one_of(_DEVICE_MODELS)
    if every & {"job", "occupation", "position"} and last in ("title", "job", "position"):
        return from_pool("job")
    if every & _CODE_WORDS:
        return _code
    if last == "test" or (last == "name" and "test" in every):
        return one_of(_LAB_TESTS)
    if "generic" in every:
        return one_of(_DRUGS)
    if last == "title":
        return _by_entity(_TITLES_BY_ENTITY, entity) or _TASK_TITLE
    if last == "event":
        return _two(_EVENT_WORDS, _EVENT_KINDS, "{} {}", alone=0.0)
    if last == "recipe":
        return one_of(_DISHES)
    if last == "album":
        return _STORY_TITLE
    if last in ("item", "product", "dish"):  # an item ordered: a dish for food, else a product
        return (
            one_of(_DISHES) if every & {"food", "dish", "menu", "meal"} else _NAMES_BY_ENTITY[0][1]
        )
    if last == "name" or name in ("payee", "label"):
        if set(split_identifier(entity)) & {"deal", "opportunity"}:
            return _deal
        made = _by_entity(_NAMES_BY_ENTITY, entity)
        if made is not None:
            return made
        if entity:
            return _place  # a branch, a venue, a facility: named for its city
        return from_pool("company")
    if examples:  # "such as 'Physics' or 'Chemistry'": the service's own values
        return one_of(examples)
    shown = " ".join(w for w in words if w not in ("id", "name")).capitalize() or "Item"
    return lambda rng, e, pools: f"{shown} {rng.randint(1, 999)}"


def field_maker(name: str, entity: str, examples: tuple[str, ...] = ()) -> Maker:
    """How values of the field ``name`` of a row of ``entity`` are made (see :func:`field_text`),
    to call once per value with ``(rng, entity, pools)``. ``examples`` are the values its
    description gives (:func:`~.common_fields.examples_in`)."""
    return _maker(name, entity, tuple(examples))


def field_text(
    name: str, entity: str, rng: random.Random, pools: Pools, examples: tuple[str, ...] = ()
) -> str:
    """A short realistic value for the field ``name`` of a row of ``entity`` (``""`` when
    unknown): a pet's name, a task's title, a trip's purpose, a time zone. ``pools`` gives the
    Faker values of a kind (names, companies, cities, jobs)."""
    return _maker(name, entity, tuple(examples))(rng, entity, pools)

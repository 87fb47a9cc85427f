"""Values of fields that name a thing of a well-known kind no other maker covers: a person's name
written as one word (``firstname``, ``lastname``), a user name, a web address, a file path, a
sport, a league, a team, a season, a competition, a religion, a gender, a medical or legal
specialty, a stock ticker, a permission or scope, a version, a court and its case numbers, the
id of a thing the world keeps no table of (``user_id``: ``USR-48213``, not "User 36").

What Faker knows comes from the shared Faker pools (one ``choice`` of the caller's random stream
per value); short lists hold the rest. :func:`common_maker` answers None for a field it does not
know, and the caller goes on with its own makers.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable

from agentscaler.naming import split_identifier

Pools = Callable[[str], tuple[object, ...]]
"""The Faker pools of a kind (``person_name``, ``company``, ``city``, ``job``)."""
Maker = Callable[[random.Random, str, Pools], str]
"""Makes one value from a random stream, the row's entity and the Faker pools."""

_SPORTS = (
    "basketball",
    "football",
    "soccer",
    "tennis",
    "baseball",
    "ice hockey",
    "cricket",
    "rugby",
    "golf",
    "volleyball",
    "badminton",
    "cycling",
    "swimming",
    "athletics",
)
_LEAGUES = (
    "NBA",
    "NFL",
    "MLB",
    "NHL",
    "MLS",
    "WNBA",
    "Premier League",
    "La Liga",
    "Bundesliga",
    "Serie A",
    "Ligue 1",
    "EuroLeague",
    "Indian Premier League",
)
_COMPETITIONS = (
    "UEFA Champions League",
    "FIFA World Cup",
    "Wimbledon",
    "US Open",
    "Olympic Games",
    "NBA Finals",
    "Tour de France",
    "Super Bowl",
    "Copa America",
)
_MASCOTS = ("Hawks", "Rangers", "United", "Lions", "Rovers", "Comets", "Storm", "Falcons", "City")
_RELIGIONS = ("Christianity", "Islam", "Hinduism", "Buddhism", "Judaism", "Sikhism", "none")
_GENDERS = ("female", "male", "non-binary")
_MEDICAL = (
    "cardiology",
    "dermatology",
    "pediatrics",
    "orthopedics",
    "neurology",
    "oncology",
    "family medicine",
    "psychiatry",
    "ophthalmology",
    "gastroenterology",
)
_LEGAL = (
    "family law",
    "corporate law",
    "criminal defense",
    "immigration law",
    "employment law",
    "intellectual property",
    "real estate law",
    "tax law",
)
_LEGAL_WORDS = frozenset("lawyer lawyers attorney attorneys legal law firm counsel".split())
_TICKERS = (
    "AAPL",
    "MSFT",
    "GOOGL",
    "AMZN",
    "NVDA",
    "META",
    "TSLA",
    "JPM",
    "V",
    "JNJ",
    "WMT",
    "KO",
    "PEP",
    "DIS",
    "NFLX",
    "AMD",
    "IBM",
    "XOM",
)
_PERMISSIONS = ("read", "write", "admin", "delete", "execute", "view", "edit", "manage")
_SCOPES = ("openid", "profile", "email", "offline_access", "read:users", "write:orders")
_NAMESPACES = ("default", "production", "staging", "kube-system", "monitoring", "payments")
_CUISINES = (
    "Italian",
    "Mexican",
    "Japanese",
    "Chinese",
    "Indian",
    "Thai",
    "French",
    "Greek",
    "Lebanese",
    "Korean",
    "Vietnamese",
    "Spanish",
)
_MUSIC = ("rock", "pop", "jazz", "classical", "hip hop", "electronic", "country", "blues", "folk")
_BOOKS = ("mystery", "fantasy", "science fiction", "romance", "thriller", "biography", "history")
_FILMS = ("drama", "comedy", "action", "thriller", "documentary", "animation", "horror")
_COURTS = (
    "Supreme Court of California",
    "U.S. District Court for the Southern District of New York",
    "Court of Appeal of England and Wales",
    "Cook County Circuit Court",
    "U.S. Court of Appeals for the Ninth Circuit",
    "High Court of Australia",
    "Ontario Superior Court of Justice",
)
_SPECIES = (
    "dog",
    "cat",
    "rabbit",
    "horse",
    "parrot",
    "red fox",
    "gray wolf",
    "bald eagle",
    "African elephant",
    "monarch butterfly",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
AIRCRAFT = (
    "Airbus A320neo",
    "Airbus A321neo",
    "Airbus A350-900",
    "Boeing 737-800",
    "Boeing 737 MAX 8",
    "Boeing 787-9",
    "Embraer E190",
)
"""Aircraft types airlines fly most."""
_UNITS = ("kg", "lb", "g", "oz", "km", "mi", "m", "ft", "l", "gal", "celsius", "fahrenheit")
_SQL = (
    "SELECT * FROM orders WHERE status = 'shipped'",
    "SELECT name, email FROM customers ORDER BY created_at DESC LIMIT 10",
    "SELECT COUNT(*) FROM users WHERE active = 1",
    "UPDATE products SET price = 19.99 WHERE id = 42",
    "SELECT region, SUM(amount) FROM sales GROUP BY region",
)
_PROMPTS = (
    "Summarize this article in three sentences.",
    "Translate the following text into French.",
    "Write a short product description for a water bottle.",
    "List three ideas for a team offsite.",
    "Explain the difference between a loan and a lease.",
    "Draft a polite reply declining the meeting.",
)
_DATASETS = ("mnist", "cifar10", "imdb_reviews", "squad", "sales_2024.csv", "customers.parquet")
_CONFIGS = ("config.yaml", "settings.json", "app.toml", "deploy.yaml", ".env.production")
_SUBSTANCES = (
    "ethanol",
    "caffeine",
    "sodium chloride",
    "acetone",
    "ibuprofen",
    "glucose",
    "benzene",
    "sulfuric acid",
)
_CRIMES = ("burglary", "theft", "assault", "fraud", "vandalism", "robbery", "arson")
_PLATFORMS = ("web", "iOS", "Android", "Windows", "macOS", "Linux")
_EXPRESSIONS = ("x**2 + 3*x - 4", "sin(x)", "2*x + 1", "exp(x)", "log(x)", "3*x**3 - x")
_VENUES = ("Arena", "Convention Center", "Stadium", "Theatre", "Concert Hall", "Exhibition Centre")
_FINANCE_WORDS = frozenset(
    "stock stocks market trade trades trading price prices portfolio quote quotes share shares "
    "ticker investment investments".split()
)
_VOWELS = frozenset("aeiou")
_JOINED = re.compile(
    r"^(first|last|middle|given|family|sur|user|nick|display|file|dir|host)(name)$"
)


def one_of(options: tuple[str, ...]) -> Maker:
    """A maker picking one of ``options``."""
    return lambda rng, entity, pools: rng.choice(options)


def from_pool(kind: str) -> Maker:
    """A maker picking one of the Faker pool ``kind``."""
    return lambda rng, entity, pools: str(rng.choice(pools(kind)))


_WORK_WORDS = frozenset(
    """project projects employee employees department departments staff workspace workspaces
    ticket tickets issue issues task tasks org organization company companies hr""".split()
)
_WORK_TEAMS = ("Platform", "Growth", "Payments", "Design", "Customer Success", "Data", "Mobile")


def _team(rng: random.Random, entity: str, pools: Pools) -> str:
    """A team at work (``Payments team``) for a record of work, else a club (``Leeds Rovers``)."""
    if _WORK_WORDS & set(split_identifier(entity)):
        return f"{rng.choice(_WORK_TEAMS)} team"
    return f"{rng.choice(pools('city'))} {rng.choice(_MASCOTS)}"


def _season(rng: random.Random, entity: str, pools: Pools) -> str:
    year = rng.randint(2019, 2025)
    return f"{year}-{(year + 1) % 100:02d}" if rng.random() < 0.6 else str(year)


def _version(rng: random.Random, entity: str, pools: Pools) -> str:
    return f"{rng.randint(1, 4)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}"


def _case_number(rng: random.Random, entity: str, pools: Pools) -> str:
    return (
        f"{rng.randint(2018, 2025)}-{rng.choice(('CV', 'CR', 'FL'))}-{rng.randint(1000, 99999):05d}"
    )


def _api_key(rng: random.Random, entity: str, pools: Pools) -> str:
    tail = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))
    return f"sk_live_{tail}"


_FOLDERS = ("/home/alex/documents", "/var/data", "/srv/app", "/tmp/exports", "/mnt/shared")


def _folder(rng: random.Random, entity: str, pools: Pools) -> str:
    return f"{rng.choice(_FOLDERS)}/{rng.choice(('reports', 'backups', 'uploads', 'logs'))}"


def _file(rng: random.Random, entity: str, pools: Pools) -> str:
    stem = rng.choice(("report", "invoice", "notes", "summary", "backup", "contract", "data"))
    return f"{stem}_{rng.randint(1, 99)}.{rng.choice(('pdf', 'csv', 'txt', 'json', 'docx'))}"


def _image(rng: random.Random, entity: str, pools: Pools) -> str:
    stem = rng.choice(("photo", "scan", "receipt", "portrait", "diagram", "screenshot"))
    return f"{stem}_{rng.randint(1, 999)}.{rng.choice(('jpg', 'png', 'webp'))}"


def _in_folder(make: Maker) -> Maker:
    return lambda rng, entity, pools: f"{rng.choice(_FOLDERS)}/{make(rng, entity, pools)}"


def _gate(rng: random.Random, entity: str, pools: Pools) -> str:
    return f"{rng.choice('ABCDEF')}{rng.randint(1, 40)}"


def _tracking(rng: random.Random, entity: str, pools: Pools) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(12))


def _passport(rng: random.Random, entity: str, pools: Pools) -> str:
    return f"{rng.choice(string.ascii_uppercase)}{rng.randint(10_000_000, 99_999_999)}"


def _resolution(rng: random.Random, entity: str, pools: Pools) -> str:
    return rng.choice(("1920x1080", "1280x720", "3840x2160", "2560x1440", "1024x768"))


def _year(rng: random.Random, entity: str, pools: Pools) -> str:
    return str(rng.randint(2019, 2026))


def _birth_date(rng: random.Random, entity: str, pools: Pools) -> str:
    return f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _venue(rng: random.Random, entity: str, pools: Pools) -> str:
    return f"{rng.choice(pools('city'))} {rng.choice(_VENUES)}"


def _museum(rng: random.Random, entity: str, pools: Pools) -> str:
    city = rng.choice(pools("city"))
    return rng.choice(
        (f"{city} Museum of Art", f"National Museum of {city}", f"{city} History Museum")
    )


def _score(rng: random.Random, entity: str, pools: Pools) -> str:
    return f"{rng.randint(0, 5)}-{rng.randint(0, 5)}"


def _proxy(rng: random.Random, entity: str, pools: Pools) -> str:
    return f"http://proxy{rng.randint(1, 9)}.example.net:{rng.choice((3128, 8080, 8888))}"


def _specialty(rng: random.Random, entity: str, pools: Pools) -> str:
    legal = _LEGAL_WORDS & set(split_identifier(entity))
    return rng.choice(_LEGAL if legal else _MEDICAL)


def _genre(rng: random.Random, entity: str, pools: Pools) -> str:
    words = set(split_identifier(entity))
    if words & {"book", "books", "novel", "library", "author", "reading"}:
        return rng.choice(_BOOKS)
    if words & {"movie", "movies", "film", "films", "show", "cinema", "series"}:
        return rng.choice(_FILMS)
    return rng.choice(_MUSIC)


def id_prefix(words: list[str]) -> str:
    """Three capitals for the id of a thing named ``words`` (``user`` ``USR``, ``client`` ``CLN``,
    ``parcel tracking`` ``PTR``): initials, then the consonants of the last word."""
    letters = [w[0] for w in words[:3]]
    for char in words[-1][1:]:
        if len(letters) >= 3:
            break
        if char not in _VOWELS and char.isalpha() and char != letters[-1]:
            letters.append(char)
    return "".join(letters).upper()[:3].ljust(3, "X")


def _identifier(words: list[str]) -> Maker:
    prefix = id_prefix(words)
    return lambda rng, entity, pools: f"{prefix}-{rng.randint(10000, 99999)}"


_BY_WORD: dict[str, Maker] = {
    "firstname": from_pool("first_name"),
    "givenname": from_pool("first_name"),
    "middlename": from_pool("first_name"),
    "lastname": from_pool("last_name"),
    "familyname": from_pool("last_name"),
    "surname": from_pool("last_name"),
    "username": from_pool("username"),
    "login": from_pool("username"),
    "handle": from_pool("username"),
    "displayname": from_pool("person_name"),
    "url": from_pool("url"),
    "uri": from_pool("url"),
    "uris": from_pool("url"),
    "link": from_pool("url"),
    "website": from_pool("url"),
    "homepage": from_pool("url"),
    "endpoint": from_pool("url"),
    "callback": from_pool("url"),
    "filename": _file,
    "file": _file,
    "attachment": _file,
    "dir": _folder,
    "directory": _folder,
    "folder": _folder,
    "gate": _gate,
    "aircraft": one_of(AIRCRAFT),
    "plane": one_of(AIRCRAFT),
    "unit": one_of(_UNITS),
    "sql": one_of(_SQL),
    "prompt": one_of(_PROMPTS),
    "dataset": one_of(_DATASETS),
    "config": one_of(_CONFIGS),
    "resolution": _resolution,
    "proxy": _proxy,
    "useragent": from_pool("user_agent"),
    "domain": from_pool("domain"),
    "sport": one_of(_SPORTS),
    "league": one_of(_LEAGUES),
    "competition": one_of(_COMPETITIONS),
    "tournament": one_of(_COMPETITIONS),
    "team": _team,
    "club": _team,
    "season": _season,
    "religion": one_of(_RELIGIONS),
    "gender": one_of(_GENDERS),
    "sex": one_of(_GENDERS),
    "specialization": _specialty,
    "specialty": _specialty,
    "speciality": _specialty,
    "expertise": _specialty,
    "ticker": one_of(_TICKERS),
    "permission": one_of(_PERMISSIONS),
    "permissions": one_of(_PERMISSIONS),
    "scope": one_of(_SCOPES),
    "scopes": one_of(_SCOPES),
    "namespace": one_of(_NAMESPACES),
    "cuisine": one_of(_CUISINES),
    "genre": _genre,
    "species": one_of(_SPECIES),
    "weekday": one_of(_WEEKDAYS),
    "version": _version,
    "parties": from_pool("person_name"),
    "player": from_pool("person_name"),
    "winner": from_pool("person_name"),
    "receiver": from_pool("person_name"),
    "recipient": from_pool("person_name"),
    "user": from_pool("username"),
    "apikey": _api_key,
    "substance": one_of(_SUBSTANCES),
    "chemical": one_of(_SUBSTANCES),
    "crime": one_of(_CRIMES),
    "platform": one_of(_PLATFORMS),
    "function": one_of(_EXPRESSIONS),
    "equation": one_of(_EXPRESSIONS),
    "expression": one_of(_EXPRESSIONS),
    "venue": _venue,
    "museum": _museum,
    "score": _score,
    "party": from_pool("person_name"),
}
"""Makers by the last word of a field's name (or the name written as one word)."""
_TRIP_WORDS = frozenset({"travel", "trip", "flight", "route", "journey", "ride", "commute"})
_IMAGE_WORDS = frozenset({"image", "img", "photo", "picture", "avatar", "thumbnail"})
_FILE_WORDS = frozenset({"file", "attachment", "document", "doc", "log", "cert"})
_CASE_WORDS = frozenset({"case", "docket"})
_LEGAL_CONTEXT = _LEGAL_WORDS | _CASE_WORDS | frozenset({"lawsuit", "court", "crime", "judge"})
_KEY_WORDS = frozenset({"api", "secret", "access"})


def common_maker(name: str, entity: str = "") -> Maker | None:
    """How values of the field ``name`` of a row of ``entity`` are made when it names a thing
    of a well-known kind, else None."""
    words = list(split_identifier(name))
    while len(words) > 1 and (words[-1].isdigit() or len(words[-1]) == 1):
        words.pop()  # team_1, city_b: one of two teams, of two cities
    if not words:
        return None
    last = words[-1]
    if last == "court":  # a court of law; a tennis court is "Court 3"
        legal = _LEGAL_CONTEXT & (set(split_identifier(entity)) | set(words[:-1]))
        return one_of(_COURTS) if legal else None
    joined = "".join(words)
    if _JOINED.match(joined):
        return _BY_WORD.get(joined)
    if last in ("symbol", "stock") and (
        {"stock", "ticker"} & set(words[:-1]) or _FINANCE_WORDS & set(split_identifier(entity))
    ):
        return one_of(_TICKERS)
    if last == "identifier" and len(words) > 1:
        return _identifier(words[:-1])
    if last == "city":
        return from_pool("city")
    if last in ("from", "to", "origin", "destination") and _TRIP_WORDS & set(words):
        return from_pool("city")
    if last == "year":
        return _year
    if (
        last in ("dob", "birthdate")
        or words[-2:] == ["of", "birth"]
        or words[-2:] == ["birth", "date"]
    ):
        return _birth_date
    if last == "number" and _CASE_WORDS & set(words):
        return _case_number
    if last == "number" and "passport" in words:
        return _passport
    if "tracking" in words and last in ("number", "id", "code", "tracking"):
        return _tracking
    if last in ("path", "paths"):  # image_path: an image in a folder; dir_path: a folder
        if _IMAGE_WORDS & set(words):
            return _in_folder(_image)
        return _in_folder(_file) if _FILE_WORDS & set(words) else _folder
    if joined in ("useragent",):
        return _BY_WORD[joined]
    if last == "query" and {"sql", "database", "db"} & set(words):
        return one_of(_SQL)  # a search query is words, not SQL
    if last == "key" and _KEY_WORDS & set(words):
        return _api_key
    if last in ("id", "ids") and len(words) > 1:
        return _identifier(words[:-1])
    if last.endswith("id") and len(last) > 4 and len(words) == 1:  # parceltrackingid
        return _identifier([last[:-2]])
    made = _BY_WORD.get(last)
    if made is None and last.endswith("s") and last[:-1] in _BY_WORD:
        made = _BY_WORD[last[:-1]]  # redirect_uris, attachment_paths
    return made


_CUE = re.compile(
    r"\b(?:e\.\s?g\.|eg\.|for example|for instance|such as|examples?:)\s*[:,]?\s*", re.I
)
_QUOTED = re.compile(r"""'([^'\n]{1,60})'|"([^"\n]{1,60})"|`([^`\n]{1,60})`""")
_CLAUSE = re.compile(r"^(.*?)(?:[;)(]|\.(?:\s|$)|$)")
_ITEMS = re.compile(r",\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+")
_FORMAT_TOKENS = re.compile(r"YYYY|MM-DD|HH:MM|DD/MM|\{|\}|<|>")


def examples_in(description: str) -> tuple[str, ...]:
    """The example values a description gives after "e.g.", "such as" or "for example" ("The
    field of the contribution, such as 'Physics' or 'Chemistry'": Physics, Chemistry), quoted or
    bare; formats ("YYYY-MM-DD") are not examples."""
    found: list[str] = []
    for cue in _CUE.finditer(description or ""):
        tail = description[cue.end() : cue.end() + 120]
        quoted = []
        for match in _QUOTED.finditer(tail):
            if match.start() > 2 + sum(len(q) + 6 for q in quoted):
                break  # quotes further on belong to another sentence
            quoted.append(next(g for g in match.groups() if g is not None))
        if not quoted:
            clause = _CLAUSE.match(tail)
            items = _ITEMS.split(clause.group(1)) if clause is not None else []
            quoted = [i for i in items if 0 < len(i.split()) <= 3 and i[:1].isalnum()]
            if len(quoted) < len(items):
                quoted = quoted[:1] if items and items[0] in quoted else []
        found += [q.strip() for q in quoted if q.strip() and not _FORMAT_TOKENS.search(q)]
    return tuple(dict.fromkeys(found))

"""Read the built-in catalog's vertical files and cache the resulting ToolSpecs per process."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from agentscaler.catalog.expand import expand_vertical
from agentscaler.catalog.format import VerticalFile
from agentscaler.errors import CatalogError
from agentscaler.records.tool import ToolSpec

logger = logging.getLogger(__name__)

_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _verticals_dir() -> Traversable:
    return resources.files("agentscaler.catalog") / "verticals"


def _vertical_files() -> list[Traversable]:
    """The vertical files of the built-in catalog, sorted by name."""
    files = [f for f in _verticals_dir().iterdir() if f.name.endswith(".yaml")]
    return sorted(files, key=lambda f: f.name)


def read_vertical(text: str, *, where: str) -> VerticalFile:
    """Parse and validate the text of one vertical file; errors name ``where`` and the place.

    ``where`` is the file's path (``verticals/<slug>.yaml`` for built-in files); its stem must be
    the vertical's slug.
    """
    try:
        data = yaml.load(text, Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise CatalogError(f"{where}{at}: not valid YAML ({exc})") from exc
    try:
        vertical = VerticalFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(err) for err in exc.errors()[:5])
        raise CatalogError(
            f"{where}: does not follow the vertical file format "
            f"(see agentscaler.catalog.format): {problems}"
        ) from exc
    stem = Path(where).name.removesuffix(".yaml")
    if vertical.slug != stem:
        raise CatalogError(
            f"{where}: slug '{vertical.slug}' differs from the file name; "
            f"rename the file or set slug: {stem}"
        )
    return vertical


def _problem(error: ErrorDetails) -> str:
    message = error["msg"].removeprefix("Value error, ")
    location = ".".join(str(part) for part in error["loc"])
    return f"{location}: {message}" if location else message


def load_vertical(path: str | Path, *, start_index: int = 0) -> list[ToolSpec]:
    """The ToolSpecs of a vertical file anywhere on disk (written in the built-in format)."""
    return load_verticals([path], start_index=start_index)


def load_verticals(paths: Iterable[str | Path], *, start_index: int = 0) -> list[ToolSpec]:
    """The ToolSpecs of several vertical files, in the given order; tool names must be unique.

    Provenance names each file as given (``source``) with the pointer ``<path>#<tool>``.
    """
    named = []
    for path in map(Path, paths):
        try:
            named.append((str(path), path.read_text(encoding="utf-8")))
        except OSError as exc:
            raise CatalogError(f"{path}: cannot read the vertical file ({exc.strerror})") from exc
    return list(_expand_all(named, builtin=False, start_index=start_index)[1])


def _expand_all(
    located_texts: Iterable[tuple[str, str]], *, builtin: bool, start_index: int = 0
) -> tuple[tuple[str, ...], tuple[ToolSpec, ...]]:
    slugs: list[str] = []
    tools: list[ToolSpec] = []
    owner: dict[str, str] = {}
    for where, text in located_texts:
        vertical = read_vertical(text, where=where)
        source = "builtin" if builtin else where
        index = start_index + len(tools)
        for spec in expand_vertical(vertical, where=where, source=source, start_index=index):
            if spec.name in owner:
                raise CatalogError(
                    f"{where}#{spec.name}: tool name already used in {owner[spec.name]}; "
                    "tool names must be unique across the catalog"
                )
            owner[spec.name] = where
            tools.append(spec)
        slugs.append(vertical.slug)
    return tuple(slugs), tuple(tools)


@cache
def _catalog() -> tuple[tuple[str, ...], tuple[ToolSpec, ...]]:
    files = _vertical_files()
    located = ((f"verticals/{f.name}", f.read_text(encoding="utf-8")) for f in files)
    slugs, tools = _expand_all(located, builtin=True)
    logger.debug("built-in catalog: %d tools in %d verticals", len(tools), len(slugs))
    return slugs, tools


def builtin_tools() -> list[ToolSpec]:
    """Every tool of the built-in catalog, verticals in name order, tools in file order."""
    return list(_catalog()[1])


def verticals() -> list[str]:
    """Slugs of the built-in verticals, in name order."""
    return list(_catalog()[0])


def vertical_tools(slug: str) -> list[ToolSpec]:
    """The tools of one built-in vertical; CatalogError (listing the slugs) for an unknown one."""
    slugs, tools = _catalog()
    if slug not in slugs:
        raise CatalogError(f"no built-in vertical '{slug}'; known verticals: {', '.join(slugs)}")
    tag = f"vertical:{slug}"
    return [tool for tool in tools if tag in tool.tags]

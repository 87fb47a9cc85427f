"""``agentscaler domains``: group a tool pool into domains and inspect them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from agentscaler.cli.common import console, err_console

if TYPE_CHECKING:
    from agentscaler.graph import Discovery, GraphConfig
    from agentscaler.records import Domain, ToolSpec

app = typer.Typer(
    help="Group a tool pool into domains (parameter-similarity graph + communities).",
    no_args_is_help=True,
)


def _load_tools(source: str) -> list[ToolSpec]:
    from agentscaler.errors import GraphError

    if source == "builtin":
        from agentscaler.ingest import import_sources

        return import_sources(["builtin"]).tools
    from agentscaler.ingest import load_pool

    tools = load_pool(Path(source))
    if not tools:
        raise GraphError(
            f"{source} holds no tools: there is nothing to group into domains. Import a catalog "
            f"into it with `agentscaler tools import SOURCE... --out {source}`, or use "
            "`--tools builtin`."
        )
    return tools


def _config(**options: Any) -> GraphConfig:
    from agentscaler.graph import GraphConfig

    return GraphConfig(**{k: v for k, v in options.items() if v is not None})


def _summary(discovery: Discovery, out: Path, llm_counts: dict[str, int] | None) -> None:
    from rich.table import Table

    sizes = discovery.size_distribution()
    table = Table(title=f"domains of {out}", show_header=False, title_justify="left")
    table.add_row("tools", str(len(discovery.tools)))
    table.add_row("similarity edges", str(len(discovery.edges)))
    table.add_row("domains", str(len(discovery.domains)))
    table.add_row(
        "domain sizes",
        f"min {sizes['min']}, median {sizes['median']:g}, mean {sizes['mean']:g}, "
        f"p90 {sizes['p90']:g}, max {sizes['max']}, singletons {sizes['singletons']}",
    )
    table.add_row("dependency edges", str(sum(len(d.edges) for d in discovery.domains)))
    if discovery.units is not None:
        units = discovery.units.as_dict()
        splits = "; ".join(
            f"{s['service']} ({s['tools']} tools -> {'+'.join(map(str, s['parts']))})"
            for s in units["services_split"]
        )
        table.add_row(
            "services",
            f"{units['services']} ({units['services_whole']} whole in one domain"
            + (f"; split: {splits}" if splits else "")
            + f"), {units['loose_tools']} loose tools",
        )
        table.add_row(
            "domains by services",
            f"{units['domains_with_one_service']} with one service, "
            f"{units['domains_with_several_services']} with several, "
            f"{units['domains_of_loose_tools']} of loose tools only",
        )
    counts = discovery.counts
    table.add_row(
        "texts embedded",
        f"{counts.get('texts_embedded', 0)} of {counts.get('texts', 0)} (others from the cache)",
    )
    table.add_row("tools without parameters", str(counts.get("tools_without_parameters", 0)))
    table.add_row("isolated tools", str(counts.get("isolated_tools", 0)))
    if llm_counts is not None:
        table.add_row(
            "LLM edge review",
            ", ".join(f"{k} {v}" for k, v in llm_counts.items()),
        )
    table.add_row(
        "time per phase",
        ", ".join(f"{k} {v:.2f}s" for k, v in discovery.timings.items()),
    )
    console.print(table)
    _domain_table(discovery.domains[:10], title="largest domains")


def _domain_table(domains: list[Domain], *, title: str) -> None:
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        caption="sim: similarity edges inside, deps: dependency edges",
    )
    table.add_column("id", no_wrap=True)
    table.add_column("name", no_wrap=True, max_width=20, overflow="ellipsis")
    for column in ("tools", "reads", "writes", "sim", "deps"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    for d in domains:
        table.add_row(
            d.id,
            d.name,
            str(d.stats.size),
            str(d.stats.reads),
            str(d.stats.writes),
            str(d.stats.internal_similarity_edges),
            str(d.stats.dependency_edges),
        )
    console.print(table)


@app.command()
def build(
    tools: str = typer.Option(
        ..., "--tools", help="Tool pool (tools.jsonl from `agentscaler tools import`) or 'builtin'."
    ),
    out: Path = typer.Option(..., "--out", help="Run folder to create or update."),
    threshold: float | None = typer.Option(
        None, "--threshold", help="tau: link tools whose parameter-list cosine exceeds it."
    ),
    embedder: str | None = typer.Option(
        None, "--embedder", help="minilm (sentence-transformers) or hash (cheap, no torch)."
    ),
    model_path: str | None = typer.Option(
        None, "--model-path", help="Local all-MiniLM-L6-v2 folder (default: installed package)."
    ),
    embed_base_url: str | None = typer.Option(
        None,
        "--embed-base-url",
        help="Embed on this OpenAI-compatible server (…/v1: vLLM, TEI, a hosted API) instead of "
        "with --embedder.",
    ),
    embed_model: str | None = typer.Option(
        None, "--embed-model", help="Model name sent to --embed-base-url."
    ),
    embed_concurrency: int | None = typer.Option(
        None, "--embed-concurrency", help="Requests in flight to --embed-base-url."
    ),
    embed_threads: int | None = typer.Option(
        None,
        "--embed-threads",
        help="Batches the local model embeds at once, one core each (0: one per core).",
    ),
    executor: str | None = typer.Option(
        None, "--executor", help="local (this process) or ray (embedding sharded on Ray workers)."
    ),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="Ray cluster to join with --executor ray (default: local)."
    ),
    granularity: str | None = typer.Option(
        None, "--granularity", help="tool (one vector per parameter list) or param (per parameter)."
    ),
    units: str | None = typer.Option(
        None,
        "--units",
        help="service (default): keep each service's tools (vertical, API class, MCP server, "
        "OpenAPI spec, tool file) in one domain; none: group tools alone (flat, as the paper).",
    ),
    unit_affinity: float | None = typer.Option(
        None,
        "--unit-affinity",
        help="Share of their inner similarity two services must reach across to share a domain.",
    ),
    algorithm: str | None = typer.Option(
        None, "--algorithm", help="Community detection: louvain or leiden."
    ),
    resolution: float | None = typer.Option(
        None, "--resolution", help="Modularity resolution (higher: smaller domains)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the community detection."),
    min_size: int | None = typer.Option(None, "--min-size", help="Smallest domain size."),
    max_size: int | None = typer.Option(
        None, "--max-size", help="Largest domain size (bigger communities are split)."
    ),
    small: str | None = typer.Option(
        None, "--small", help="Communities below --min-size: merge (into a neighbour) or keep."
    ),
    llm_edges: bool = typer.Option(
        False, "--llm-edges", help="Ask an LLM to confirm or reject dependency edges."
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="OpenAI-compatible server for --llm-edges (…/v1)."
    ),
    model: str | None = typer.Option(None, "--model", help="Model name for --llm-edges."),
    force: bool = typer.Option(
        False, "--force", help="Rebuild even if the run folder has domains from the same input."
    ),
) -> None:
    """Build domains: embed parameter lists, link similar tools, find communities, write
    DIR/domains.jsonl and DIR/graph/."""
    from agentscaler.graph import build_stage, stage_fingerprint
    from agentscaler.jsonl import read_records, write_records
    from agentscaler.records import Domain
    from agentscaler.workspace import Workspace

    config = _config(
        threshold=threshold,
        embedder=embedder,
        model_path=model_path,
        embed_base_url=embed_base_url,
        embed_model=embed_model,
        embed_concurrency=embed_concurrency,
        embed_threads=embed_threads,
        executor=executor,
        ray_address=ray_address,
        granularity=granularity,
        units=units,
        unit_affinity=unit_affinity,
        algorithm=algorithm,
        resolution=resolution,
        seed=seed,
        min_size=min_size,
        max_size=max_size,
        small=small,
        llm_edges=llm_edges or None,
    )
    client = None
    if llm_edges:
        from agentscaler.llm import ChatClient, LLMConfig

        llm_options = {k: v for k, v in {"base_url": base_url, "model": model}.items() if v}
        client = ChatClient(LLMConfig(**llm_options))
    pool = _load_tools(tools)
    workspace = Workspace(out)
    fp = stage_fingerprint(pool, config, client.config.model if client else None)
    from agentscaler.runlock import run_lock

    with run_lock(out, create=True):
        if not force and workspace.stage_done("domains", fp) and workspace.domains.exists():
            console.print(
                f"{workspace.domains} is up to date for this pool and these settings "
                "(use --force to rebuild)."
            )
            _domain_table(read_records(workspace.domains, Domain)[:10], title="largest domains")
            return
        source = Path(tools) if tools != "builtin" else None
        if source is None or source.resolve() != workspace.tools.resolve():
            write_records(workspace.tools, pool)
        from agentscaler.progress import PhaseProgress

        reporter = PhaseProgress(err_console)
        try:
            with reporter.progress:
                result = build_stage(workspace, pool, config, llm_client=client, reporter=reporter)
        finally:
            if client is not None:
                client.close()
    _summary(result.discovery, out, result.llm_counts)


@app.command()
def show(
    run: Path = typer.Argument(..., help="Run folder with domains.jsonl."),
    domain: str | None = typer.Argument(
        None, help="Domain id (or its number, e.g. 7 or d0007) to show in detail."
    ),
    limit: int = typer.Option(50, "--limit", help="Domains listed (largest first)."),
) -> None:
    """List the domains of a run folder, or show one: members (read/write) and edges."""
    from rich.table import Table

    from agentscaler.errors import GraphError
    from agentscaler.jsonl import read_records
    from agentscaler.records import Domain
    from agentscaler.workspace import Workspace

    workspace = Workspace(run)
    domains = read_records(workspace.require(workspace.domains, "domains"), Domain)
    if domain is None:
        _domain_table(domains[:limit], title=f"{len(domains)} domains in {run}")
        return
    found = _find(domains, domain)
    if found is None:
        raise GraphError(
            f"{workspace.domains} has no domain {domain!r}; `agentscaler domains show {run}` "
            "lists them"
        )
    console.print(f"[bold]{found.id}[/]  {found.name}  (terms: {', '.join(found.terms)})")
    members = Table(title="members", title_justify="left")
    for column in ("tool", "kind", "tool id"):
        members.add_column(column)
    for m in found.members:
        members.add_row(m.name, m.kind, m.tool_id)
    console.print(members)
    edges = Table(title=f"dependency edges ({len(found.edges)})", title_justify="left")
    edges.add_column("from", overflow="fold")
    edges.add_column("to", overflow="fold")
    edges.add_column("kind", no_wrap=True)
    edges.add_column("via", overflow="fold")
    edges.add_column("score", no_wrap=True)
    edges.add_column("llm", no_wrap=True)
    for e in found.edges:
        llm = "-" if e.confirmed_by_llm is None else ("yes" if e.confirmed_by_llm else "no")
        edges.add_row(e.source, e.target, e.kind, ", ".join(e.via), f"{e.score:.2f}", llm)
    console.print(edges)
    s = found.stats
    console.print(
        f"size {s.size}: {s.reads} read, {s.writes} write; {s.internal_similarity_edges} "
        f"similarity edges (mean cosine {s.mean_similarity:.3f}); {s.rejected_edges} edges "
        "rejected by an LLM"
    )


def _find(domains: list[Domain], key: str) -> Domain | None:
    for d in domains:
        if d.id == key:
            return d
    digits = key.lstrip("dD")
    if digits.isdigit():
        prefix = f"d{int(digits):04d}-"
        for d in domains:
            if d.id.startswith(prefix):
                return d
    return None

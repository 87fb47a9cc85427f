"""Quality of domain discovery on labeled tool sets: NMI / ARI per embedder x granularity x tau.

    python bench/graph_quality.py [--external ../shared/external] [--taus 0.3,0.4,...]

Prints a markdown table (one row per setting and labeled set, tools grouped flat: ``units="none"``,
the paper's method), then, for each labeled set, the domains found with the defaults of
``GraphConfig`` against a nearest-neighbour ceiling: the NMI of labelling every tool with the
class of its most similar other tool, true classes given
(:func:`agentscaler.graph.quality.nearest_neighbour_ceiling`), for the default similarity, the
embedding alone and the identifier words alone; then flat grouping against service units (each
set's tools as ingestion reads them from their own files: BFCL classes, ACEBench scenarios,
built-in verticals). Labeled sets and how their labels are derived:
:mod:`agentscaler.graph.quality`. Every other setting (sizes, algorithm, seed) is the default.

    python bench/graph_quality.py --units-only      # only the flat / units comparison
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]


def labeled_sets(external: Path):
    from agentscaler.graph import quality

    sets = [quality.bfcl_set(external), quality.acebench_set(external)]
    try:
        sets.append(quality.builtin_set())
    except Exception as exc:  # the catalog is optional for this table
        print(f"(built-in catalog skipped: {exc})", file=sys.stderr)
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--external", type=Path, default=REPO.parent / "shared" / "external")
    parser.add_argument("--taus", default="0.2,0.25,0.3,0.4,0.5,0.6,0.7,0.8")
    parser.add_argument("--embedders", default="minilm,hash")
    parser.add_argument("--granularities", default="tool,param")
    parser.add_argument(
        "--lexical-weights", default=None, help="comma list (default: 0 and the default weight)"
    )
    parser.add_argument("--units-only", action="store_true", help="only flat against units")
    args = parser.parse_args()

    import logging

    logging.disable(logging.WARNING)
    from agentscaler.graph import GraphConfig

    defaults = GraphConfig()
    taus = [float(t) for t in args.taus.split(",")]
    weights = (
        [float(w) for w in args.lexical_weights.split(",")]
        if args.lexical_weights
        else sorted({0.0, defaults.lexical_weight})
    )
    sets = labeled_sets(args.external)
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder)  # one embedding cache for the table and the ceilings
        if not args.units_only:
            table = score_table(sets, args.embedders, args.granularities, weights, taus, cache)
            print_table(table, sets, defaults)
            if defaults.granularity == "tool" and defaults.embedder in args.embedders.split(","):
                print_ceilings(sets, defaults, cache)
        print_units(sets, defaults, cache)


def score_table(sets, embedders: str, granularities: str, weights, taus, cache: Path) -> dict:
    """NMI, ARI and domain count per setting (embedder, granularity, weight, tau) and set."""
    from agentscaler.graph import GraphConfig, discover_domains, make_embedder
    from agentscaler.graph.quality import score_discovery

    table: dict[tuple, list[tuple[float, float, int]]] = {}
    for embedder_name in embedders.split(","):
        embedder = make_embedder(GraphConfig(embedder=embedder_name))
        for granularity in granularities.split(","):
            for weight in weights:
                for tau in taus:
                    config = GraphConfig(
                        embedder=embedder_name,
                        granularity=granularity,
                        threshold=tau,
                        lexical_weight=weight,
                        units="none",
                    )
                    key = (embedder_name, granularity, weight, tau)
                    for labeled in sets:
                        found = discover_domains(
                            labeled.tools, config, embedder=embedder, graph_dir=cache
                        )
                        nmi, ari = score_discovery(labeled, found.tools, found.communities)
                        table.setdefault(key, []).append((nmi, ari, len(found.domains)))
                    print(key, table[key], file=sys.stderr)
    return table


def print_table(table: dict, sets, defaults) -> None:
    print(
        "NMI / ARI (domains found) of recovered domains against the labels; labels per set: "
        + ", ".join(f"{s.name} = {len(s.tools)} tools" for s in sets)
        + "."
    )
    print()
    header = "| embedder | granularity | lexical | tau | " + " | ".join(s.name for s in sets)
    print(header + " | mean NMI |")
    print("|---|---|---:|---:|" + "---:|" * len(sets) + "---:|")
    for (emb, gran, weight, tau), scores in table.items():
        default = (emb, gran, weight, tau) == (
            defaults.embedder,
            defaults.granularity,
            defaults.lexical_weight,
            defaults.threshold,
        )
        cells = " | ".join(f"{nmi:.3f} / {ari:.3f} ({n})" for nmi, ari, n in scores)
        mean = sum(s[0] for s in scores) / len(scores)
        mark = " **default**" if default else ""
        print(f"| {emb} | {gran} | {weight:g} | {tau:g}{mark} | {cells} | {mean:.3f} |")


def print_ceilings(sets, defaults, cache: Path) -> None:
    """Domains found with the defaults against what the similarity can tell apart at best."""
    from agentscaler.graph import discover_domains, make_embedder
    from agentscaler.graph.discover import prepare_tools, tool_vectors
    from agentscaler.graph.embedding_cache import EmbeddingCache
    from agentscaler.graph.lexical import lexical_vectors
    from agentscaler.graph.quality import nearest_neighbour_ceiling, score_discovery

    embedder = make_embedder(defaults)
    print()
    print(
        "Nearest-neighbour ceiling: NMI / accuracy of labelling each tool with the class of its "
        "most similar other tool, every other tool's class given."
    )
    print()
    print(
        "| labeled set | domains found (defaults) | ceiling, default similarity | "
        "embedding alone | identifier words alone |"
    )
    print("|---|---:|---:|---:|---:|")
    embeddings = EmbeddingCache(cache / "embeddings", embedder.model_id, embedder.dim)
    alone = defaults.model_copy(update={"lexical_weight": 0.0})
    flat = defaults.model_copy(update={"units": "none"})
    for labeled in sets:
        pool, _ = prepare_tools(labeled.tools)
        found = discover_domains(pool, flat, embedder=embedder, graph_dir=cache)
        nmi, ari = score_discovery(labeled, found.tools, found.communities)
        features = [
            tool_vectors(pool, defaults, embedder, cache=embeddings),
            tool_vectors(pool, alone, embedder, cache=embeddings),
            lexical_vectors(pool, defaults.lexical_dim),
        ]
        cells = [nearest_neighbour_ceiling(labeled.labels_for(pool), f) for f in features]
        print(
            f"| {labeled.name} | {nmi:.3f} / {ari:.3f} | "
            + " | ".join(f"{c_nmi:.3f} / {accuracy:.2f}" for c_nmi, accuracy in cells)
            + " |"
        )


def print_units(sets, defaults, cache: Path) -> None:
    """Each labeled set grouped flat and by service units, with how whole its classes stay."""
    from agentscaler.graph import discover_domains, make_embedder
    from agentscaler.graph.quality import score_discovery

    embedder = make_embedder(defaults)
    print()
    print(
        "Flat grouping (units none) against service units (the default): NMI / ARI (domains), "
        "domains holding tools of one class, classes whose tools all lie in one domain, and "
        "the services found."
    )
    print()
    print(
        "| labeled set | grouping | NMI / ARI (domains) | domains of one class | "
        "classes in one domain | services |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for labeled in sets:
        for mode in ("none", "service"):
            config = defaults.model_copy(update={"units": mode})
            found = discover_domains(labeled.tools, config, embedder=embedder, graph_dir=cache)
            nmi, ari = score_discovery(labeled, found.tools, found.communities)
            labels = labeled.labels_for(found.tools)
            classes_of = [{labels[i] for i in c} for c in found.communities]
            single = sum(1 for c in classes_of if len(c) == 1)
            homes: dict[str, set[int]] = {}
            for index, community in enumerate(found.communities):
                for i in community:
                    homes.setdefault(labels[i], set()).add(index)
            whole = sum(1 for h in homes.values() if len(h) == 1)
            services = len({t.service for t in found.tools if t.service})
            name = "flat (units none)" if mode == "none" else "service units"
            print(
                f"| {labeled.name} | {name} | {nmi:.3f} / {ari:.3f} ({len(found.domains)}) | "
                f"{single} of {len(found.domains)} | {whole} of {len(homes)} | {services} |"
            )


if __name__ == "__main__":
    main()

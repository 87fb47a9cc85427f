"""Tool graph and domain discovery: parameter-similarity edges, communities, dependency edges.

>>> from agentscaler.graph import GraphConfig, discover_domains
>>> discovery = discover_domains(tools, GraphConfig(embedder="hash"))
>>> [d.name for d in discovery.domains]

Importing this package loads neither torch nor igraph; they load when first needed.
"""

from agentscaler.graph.build import StageResult, build_stage, stage_fingerprint
from agentscaler.graph.config import GraphConfig
from agentscaler.graph.discover import Discovery, Reporter, discover_domains
from agentscaler.graph.embedders import Embedder, HashEmbedder, MiniLMEmbedder, make_embedder

__all__ = [
    "Discovery",
    "Embedder",
    "GraphConfig",
    "HashEmbedder",
    "MiniLMEmbedder",
    "Reporter",
    "StageResult",
    "build_stage",
    "discover_domains",
    "make_embedder",
    "stage_fingerprint",
]

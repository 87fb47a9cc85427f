"""``POST /v1/embeddings`` of the stub server."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import numpy as np
import pytest

from agentscaler.graph import HashEmbedder
from agentscaler.llm.stub import EmbeddingPlan, Fault, FaultPlan, StubServer


def post(base_url: str, body) -> tuple[int, dict]:
    request = urllib.request.Request(
        base_url + "/embeddings",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_embeddings_follow_openai_and_carry_the_hashing_embedders_vectors():
    texts = ["cancel an order", "weather in a city", "cancel an order"]
    with StubServer(embeddings=EmbeddingPlan(dim=64)) as server:
        status, body = post(server.base_url, {"model": "m", "input": texts})
        _, b64 = post(server.base_url, {"model": "m", "input": texts, "encoding_format": "base64"})
        _, wide = post(server.base_url, {"model": "m", "input": "x y", "dimensions": 16})
        stats = server.stats.as_dict()
    assert status == 200 and body["object"] == "list" and body["model"] == "m"
    assert [d["index"] for d in body["data"]] == [0, 1, 2]
    floats = np.array([d["embedding"] for d in body["data"]], dtype=np.float32)
    assert np.allclose(floats, HashEmbedder(64).embed(texts), atol=1e-6)
    decoded = np.stack(
        [np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4") for d in b64["data"]]
    )
    assert np.array_equal(decoded, HashEmbedder(64).embed(texts))
    assert len(wide["data"][0]["embedding"]) == 16
    assert body["usage"]["prompt_tokens"] == 10  # words
    assert stats["texts_embedded"] == 7 and stats["statuses"] == {"200": 3}


def test_random_mode_is_deterministic_noise():
    with StubServer(embeddings=EmbeddingPlan(mode="random", dim=32)) as server:
        _, first = post(server.base_url, {"model": "m", "input": ["a", "b"]})
        _, again = post(server.base_url, {"model": "m", "input": ["b"]})
    a, b = (np.array(d["embedding"]) for d in first["data"])
    assert np.isclose(np.linalg.norm(a), 1.0) and abs(a @ b) < 0.6
    assert np.allclose(b, again["data"][0]["embedding"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model": "m"}, "'input' must be"),
        ({"model": "m", "input": [1, 2]}, "'input' must be"),
        ({"model": "m", "input": "x", "encoding_format": "int8"}, "not supported"),
        ({"model": "m", "input": "x", "dimensions": 0}, "'dimensions'"),
    ],
)
def test_bad_requests_are_refused_with_400(body, message):
    with StubServer() as server:
        status, answer = post(server.base_url, body)
    assert status == 400 and message in answer["error"]["message"]


def test_faults_apply_to_embeddings_and_base64_can_be_refused():
    faults = FaultPlan.scripted(Fault.SERVER_ERROR, Fault.RATE_LIMIT, retry_after_s=0)
    with StubServer(faults=faults, embeddings=EmbeddingPlan(base64=False)) as server:
        codes = [post(server.base_url, {"model": "m", "input": "x"})[0] for _ in range(3)]
        refused, _ = post(
            server.base_url, {"model": "m", "input": "x", "encoding_format": "base64"}
        )
    assert codes == [500, 429, 200] and refused == 400

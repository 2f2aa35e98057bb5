"""Embedders return unit rows whose cosine ranks related texts above unrelated ones."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from simsocial.llm.config import LLMConfig
from simsocial.llm.embeddings import HashEmbedder, make_embedder, minilm_available
from simsocial.llm.types import ProviderError

CATS = ["The cat sat on the mat.", "A cat was sitting on the mat all day."]
MARKETS = [
    "Stock markets fell sharply on inflation fears.",
    "Inflation fears push stock markets down.",
]
# Paraphrases that share no content word: only a model of meaning can tell they are related.
PARAPHRASES = ["A kitten rested on the rug.", "The small cat lay on the carpet."]
UNRELATED = "Investors worried as share prices dropped."


def _embed(name: str, texts: list[str]) -> np.ndarray:
    return asyncio.run(make_embedder(name).embed(texts))


def test_hash_rows_are_float32_unit_vectors_of_384_dims() -> None:
    """Hash embeddings have the documented shape, dtype and unit norm."""
    vectors = _embed("hash", [*CATS, *MARKETS])
    assert vectors.shape == (4, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_hash_empty_text_is_a_zero_row_and_empty_batch_is_empty() -> None:
    """An empty text cannot be normalised, so it scores 0 against everything; no NaN."""
    vectors = _embed("hash", ["", "..."])
    assert not np.isnan(vectors).any()
    assert np.all(vectors == 0)
    assert _embed("hash", []).shape == (0, 384)


def test_hash_is_identical_in_a_fresh_process() -> None:
    """Vectors do not depend on Python's per-process hash salt."""
    code = (
        "import asyncio, json; from simsocial.llm.embeddings import make_embedder; "
        f"print(json.dumps(asyncio.run(make_embedder('hash').embed({CATS!r})).tolist()))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    np.testing.assert_array_equal(
        np.array(json.loads(other.stdout), dtype=np.float32), _embed("hash", CATS)
    )


def test_hash_scores_shared_words_above_unrelated_text() -> None:
    """Sentences about the same thing in the same words are closer than different topics."""
    vectors = _embed("hash", [*CATS, *MARKETS])
    sims = vectors @ vectors.T
    assert sims[0, 1] > 0.4 and sims[2, 3] > 0.4
    assert max(sims[0, 2], sims[0, 3], sims[1, 2], sims[1, 3]) < 0.15


def test_hash_word_order_and_case_do_not_matter_but_words_do() -> None:
    """Bag-of-words: reordering and case give the same vector, a new word changes it."""
    embedder = HashEmbedder()
    same = embedder.embed_sync(["Red apples fall", "fall APPLES red", "red pears fall"])
    assert same[0] @ same[1] == pytest.approx(1.0, abs=1e-6)
    assert same[0] @ same[2] < 0.9


def test_unknown_names_go_to_litellm_and_known_names_resolve() -> None:
    """'hash' and 'auto' resolve offline; any other name is a litellm embedding model."""
    assert make_embedder("hash").name == "hash"
    assert make_embedder("auto").name == ("minilm" if minilm_available() else "hash")
    assert make_embedder("openai/text-embedding-3-small").name == "openai/text-embedding-3-small"
    with pytest.raises(ValueError):
        make_embedder("  ")


def test_minilm_without_its_packages_says_what_to_install() -> None:
    """Asking for minilm where torch is missing names the extra to install."""
    if minilm_available():
        pytest.skip("minilm is installed here")
    with pytest.raises(ProviderError, match="simsocial\\[embeddings\\]"):
        make_embedder("minilm")


@pytest.mark.slow
@pytest.mark.skipif(not minilm_available(), reason="needs simsocial[embeddings]")
def test_minilm_knows_paraphrases_without_shared_words() -> None:
    """all-MiniLM-L6-v2 puts two cat paraphrases closer together than a finance sentence."""
    vectors = _embed("minilm", [*PARAPHRASES, UNRELATED])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > 0.5
    assert sims[0, 2] < 0.2 and sims[1, 2] < 0.2
    np.testing.assert_allclose(_embed("minilm", PARAPHRASES[:1])[0], vectors[0], atol=1e-5)


class _EmbeddingHandler(BaseHTTPRequestHandler):
    """An OpenAI-compatible /embeddings endpoint: the vector is [len(text), 1, 0]."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(text)), 1.0, 0.0]}
            for i, text in enumerate(body["input"])
        ]
        usage = {"prompt_tokens": 3, "total_tokens": 3}
        blob = json.dumps({"object": "list", "data": data, "model": body["model"], "usage": usage})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(blob)))
        self.end_headers()
        self.wfile.write(blob.encode())

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def embedding_server() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadingHTTPServer(("127.0.0.1", port), _EmbeddingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_litellm_embedder_against_a_local_openai_compatible_server(embedding_server: str) -> None:
    """Remote embeddings come back in input order, unit-normalised, with dim learned."""
    config = LLMConfig(api_base=embedding_server, timeout=10)
    embedder = make_embedder("openai/test-embed", config)
    vectors = asyncio.run(embedder.embed(["abc", "a"]))
    expected = np.array([[3, 1, 0], [1, 1, 0]], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(vectors, expected, rtol=1e-6)
    assert embedder.dim == 3

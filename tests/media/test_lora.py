"""Image adapters (peft LoRA on the UNet's attention projections) and text adapters (peft LoRA
on a causal LM, here a tiny one made in memory)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_media

need_media()

from simsocial.media import dataset  # noqa: E402
from simsocial.media.config import ImageLora, TextLora  # noqa: E402
from simsocial.media.lora import adapter_settings, train_adapter  # noqa: E402

SETTINGS = ImageLora(rank=2, alpha=4.0, steps=3, batch=4, target_modules=["to_q", "to_v"])


def red_images(n: int = 8) -> tuple[np.ndarray, list[str]]:
    images, labels = dataset.generate(48, 16, seed=1)
    red = [i for i, row in enumerate(labels) if row[1] == 0][:n]
    return images[red], ["a circle"] * len(red)


def test_an_adapter_is_a_small_file_that_changes_only_what_it_targets(trained, tmp_path):
    images, prompts = red_images()
    out = tmp_path / "a.safetensors"
    before = {k: v.clone() for k, v in trained.unet.state_dict().items()}
    info = train_adapter(trained, images, prompts, SETTINGS, out, seed=1)
    assert out.exists() and info["bytes"] == out.stat().st_size < 64_000
    assert info["images"] == 8 and info["steps"] == 3 and info["parameters"] > 0
    assert adapter_settings(out).model_dump(include={"rank", "alpha", "target_modules"}) == {
        "rank": 2,
        "alpha": 4.0,
        "target_modules": ["to_q", "to_v"],
    }
    from safetensors.torch import load_file

    names = list(load_file(out))
    assert names and all("lora_A" in n or "lora_B" in n for n in names)
    assert all(".to_q." in n or ".to_v." in n for n in names)
    after = trained.unet.state_dict()
    assert all((before[k] == after[k]).all() for k in before)  # the base is untouched


def test_training_is_seeded_and_an_adapter_changes_what_is_drawn(trained, door, tmp_path):
    images, prompts = red_images()
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    train_adapter(trained, images, prompts, SETTINGS, a, seed=1)
    train_adapter(trained, images, prompts, SETTINGS, b, seed=1)
    assert a.read_bytes() == b.read_bytes()
    base = door.render(["a circle"] * 2, [1, 2])
    adapted = door.render(["a circle"] * 2, [1, 2], adapter=a)
    assert adapted[0].adapter is not None and base[0].adapter is None
    assert adapted[0].key != base[0].key
    assert not np.array_equal(adapted[0].pixels, base[0].pixels)


def test_an_adapter_can_continue_from_an_earlier_one(trained, tmp_path):
    images, prompts = red_images()
    first, second = tmp_path / "g1.safetensors", tmp_path / "g2.safetensors"
    train_adapter(trained, images, prompts, SETTINGS, first, seed=1)
    train_adapter(trained, images, prompts, SETTINGS, second, seed=2, init=first)
    fresh = tmp_path / "fresh.safetensors"
    train_adapter(trained, images, prompts, SETTINGS, fresh, seed=2)
    assert second.read_bytes() != fresh.read_bytes()


def test_a_file_that_is_not_an_adapter_is_refused(trained, tmp_path):
    import torch
    from safetensors.torch import save_file

    path = tmp_path / "x.safetensors"
    save_file({"w": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="not a simsocial image adapter"):
        adapter_settings(path)
    with pytest.raises(ValueError, match="needs images"):
        train_adapter(trained, np.zeros((0, 16, 16, 3), np.uint8), [], SETTINGS, path)


def tiny_lm():
    """A 2-layer Llama with a character vocabulary, made in memory (no weights are loaded)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    chars = sorted(set("abcdefghijklmnopqrstuvwxyz .,!?'"))
    vocab = {"[PAD]": 0, "[UNK]": 1, **{c: i + 2 for i, c in enumerate(chars)}}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="[PAD]", unk_token="[UNK]")
    import torch

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=128,
    )  # fmt: skip
    return LlamaForCausalLM(config), tokenizer


def test_a_text_adapter_lowers_held_out_perplexity_on_the_community_style(tmp_path):
    from simsocial.media.text_lora import fine_tune, perplexity

    model, tokenizer = tiny_lm()
    style = [f"i love red {w}, so red!" for w in ("cars", "hats", "apples", "roses", "shoes")]
    held_out = ["i love red boats, so red!", "i love red pens, so red!"]
    modules = ["q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"]
    settings = TextLora(
        rank=8, alpha=16, target_modules=modules, steps=60, batch=4, lr=2e-2, max_length=32
    )
    adapted, info = fine_tune(model, tokenizer, style * 4, held_out, settings, tmp_path / "ad")
    assert info["perplexity_after"] < 0.7 * info["perplexity_before"], info
    assert perplexity(adapted, tokenizer, held_out, 32) == pytest.approx(
        info["perplexity_after"], rel=1e-4
    )
    assert (tmp_path / "ad" / "adapter_config.json").exists()
    assert 0 < info["adapter_bytes"] < 100_000
    trainable = [name for name, p in adapted.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in name for name in trainable)  # only A and B train
    assert info["trainable_parameters"] == sum(
        p.numel() for p in adapted.parameters() if p.requires_grad
    )
    with pytest.raises(ValueError, match="held-out"):
        fine_tune(model, tokenizer, style, [], settings)

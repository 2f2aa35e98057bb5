"""The UNet's conditioning paths: cross-attention below full resolution and, with
`global_cond`, the attribute tokens added to every ResNet block's timestep embedding."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from simsocial.media.nets import AttributeEncoder, build_unet, predict  # noqa: E402


def outputs_for_two_prompts(global_cond: bool) -> tuple[object, object]:
    """The UNet's outputs for two prompts, with every cross-attention output silenced, so only
    the global path (if any) can carry the prompt."""
    torch.manual_seed(0)
    unet = build_unet(16, (8, 16), 16, global_cond=global_cond)
    for name, module in unet.named_modules():
        if name.endswith("to_out.0"):
            torch.nn.init.zeros_(module.weight)
            torch.nn.init.zeros_(module.bias)
    encoder = AttributeEncoder(16)
    noisy = torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    t = torch.tensor([500])
    with torch.no_grad():
        red = predict(unet, noisy, t, encoder(torch.tensor([[0, 0, 0, 0]])))
        blue = predict(unet, noisy, t, encoder(torch.tensor([[0, 2, 0, 0]])))
    return red, blue


def test_global_conditioning_reaches_the_unet_without_attention() -> None:
    red, blue = outputs_for_two_prompts(global_cond=True)
    assert (red - blue).abs().max() > 1e-4


def test_without_it_only_attention_carries_the_prompt() -> None:
    red, blue = outputs_for_two_prompts(global_cond=False)
    assert torch.equal(red, blue)

"""The networks of the embedded backend: a diffusers conditional UNet, the attribute encoder that
conditions it, and the classifier that labels what it draws. Imports torch: load lazily."""

from __future__ import annotations

import torch
from diffusers import UNet2DConditionModel
from torch import nn

from simsocial.media.dataset import ATTRIBUTES, SLOTS


def build_unet(
    image_size: int, channels: tuple[int, ...], cond_dim: int, global_cond: bool = False
) -> UNet2DConditionModel:
    """A small UNet: plain ResNet blocks at full resolution, cross-attention to the attribute
    tokens below it (the attention projections are what image adapters train). With
    `global_cond` the tokens, flattened and projected, are also added to the timestep
    embedding, so every ResNet block (the full-resolution ones that draw edges too) sees them."""
    depth = len(channels)
    down = ("DownBlock2D",) + ("CrossAttnDownBlock2D",) * (depth - 1)
    up = ("CrossAttnUpBlock2D",) * (depth - 1) + ("UpBlock2D",)
    return UNet2DConditionModel(
        sample_size=image_size,
        in_channels=3,
        out_channels=3,
        down_block_types=down,
        up_block_types=up,
        mid_block_type="UNetMidBlock2DCrossAttn",
        block_out_channels=channels,
        layers_per_block=1,
        cross_attention_dim=cond_dim,
        attention_head_dim=8,
        norm_num_groups=8,
        class_embed_type="projection" if global_cond else None,
        projection_class_embeddings_input_dim=len(SLOTS) * cond_dim if global_cond else None,
    )


def predict(
    unet: UNet2DConditionModel, noisy: torch.Tensor, t: torch.Tensor, tokens: torch.Tensor
) -> torch.Tensor:
    """The UNet's output for attribute tokens (batch, slots, dim), however it is conditioned."""
    pooled = tokens.flatten(1) if unet.config.class_embed_type else None
    return unet(noisy, t, encoder_hidden_states=tokens, class_labels=pooled).sample


class AttributeEncoder(nn.Module):
    """One token per attribute slot: the value's embedding, or the slot's null embedding where
    the prompt leaves it open (and for classifier-free guidance's unconditional pass)."""

    def __init__(self, dim: int):
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(len(ATTRIBUTES[s]) + 1, dim) for s in SLOTS)
        self.position = nn.Parameter(torch.zeros(len(SLOTS), dim))

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """codes: (batch, slots) label indices, the null index where open -> (batch, slots, dim)."""
        tokens = [table(codes[:, i]) for i, table in enumerate(self.tables)]
        return torch.stack(tokens, dim=1) + self.position

    @staticmethod
    def null_codes(batch: int) -> torch.Tensor:
        return torch.tensor([[len(ATTRIBUTES[s]) for s in SLOTS]] * batch, dtype=torch.long)


class Classifier(nn.Module):
    """A small CNN with one head per slot; its penultimate features are the space the
    feature distance between generations is measured in."""

    def __init__(self, width: int = 32, features: int = 64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1),
            nn.GELU(),
            nn.Conv2d(width, width, 3, padding=1),
            nn.GELU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.GELU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.LazyLinear(features),
            nn.GELU(),
        )
        self.heads = nn.ModuleList(nn.Linear(features, len(ATTRIBUTES[s])) for s in SLOTS)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(images)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        hidden = self.body(images)
        return [head(hidden) for head in self.heads]


def to_tensor(images: torch.Tensor | object) -> torch.Tensor:
    """uint8 NHWC (numpy) -> float NCHW in [-1, 1]."""
    array = torch.as_tensor(images)
    return array.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def to_uint8(samples: torch.Tensor) -> torch.Tensor:
    """float NCHW in [-1, 1] -> uint8 NHWC."""
    scaled = ((samples.clamp(-1, 1) + 1) * 127.5).round()
    return scaled.to(torch.uint8).permute(0, 2, 3, 1).contiguous()

"""Training the embedded backend on the generated dataset: the conditional DDPM (diffusers UNet,
cosine schedule, EMA weights) and the attribute classifier. CPU-sized; seeded, so the same
config trains the same weights."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from diffusers import DDPMScheduler
from diffusers.training_utils import EMAModel, compute_snr
from torch import nn

from simsocial.media import dataset
from simsocial.media.config import TinyDDPMConfig
from simsocial.media.nets import AttributeEncoder, Classifier, build_unet, predict, to_tensor

NUM_TIMESTEPS = 1000


def noise_schedule(prediction: str = "sample") -> DDPMScheduler:
    """The cosine schedule (Nichol & Dhariwal) training and sampling share."""
    return DDPMScheduler(
        num_train_timesteps=NUM_TIMESTEPS,
        beta_schedule="squaredcos_cap_v2",
        prediction_type=prediction,
    )


@dataclass
class Trained:
    unet: torch.nn.Module
    encoder: AttributeEncoder
    classifier: Classifier
    info: dict[str, float]


def hide(codes: torch.Tensor, drop_slot: float, drop_all: float, gen: torch.Generator) -> None:
    """Replace attribute codes by their null token in place: single slots with `drop_slot`,
    whole captions with `drop_all` (what classifier-free guidance needs)."""
    null = AttributeEncoder.null_codes(1)[0]
    slot = torch.rand(codes.shape, generator=gen) < drop_slot
    row = torch.rand(codes.shape[0], 1, generator=gen) < drop_all
    mask = slot | row
    codes[mask] = null.expand_as(codes)[mask]


def denoising_loss(
    unet: torch.nn.Module,
    tokens: torch.Tensor,
    clean: torch.Tensor,
    schedule: DDPMScheduler,
    gen: torch.Generator,
    min_snr: float = 5.0,
    snr_floor: float = 0.0,
) -> torch.Tensor:
    """The DDPM objective at a random timestep, for the schedule's prediction type (the noise,
    the clean image, or the velocity between them), with Min-SNR-gamma weights (Hang et al.
    2023: each timestep weighted as an x0 loss clamped at SNR gamma; converges several times
    faster, which is what a CPU budget needs; `snr_floor` keeps the noisiest steps from being
    starved). `min_snr=0` gives the plain mean squared error."""
    noise = torch.randn(clean.shape, generator=gen)
    steps = torch.randint(0, NUM_TIMESTEPS, (clean.shape[0],), generator=gen)
    noisy = schedule.add_noise(clean, noise, steps)
    predicted = predict(unet, noisy, steps, tokens)
    kind = schedule.config.prediction_type
    if kind == "sample":
        target = clean
    elif kind == "v_prediction":
        target = schedule.get_velocity(clean, noise, steps)
    else:
        target = noise
    if not min_snr:
        return nn.functional.mse_loss(predicted, target)
    snr = compute_snr(schedule, steps)
    clamped = torch.clamp(snr, min=snr_floor, max=min_snr)
    weight = {"sample": clamped, "v_prediction": clamped / (snr + 1)}.get(kind, clamped / snr)
    per_image = ((predicted - target) ** 2).mean(dim=(1, 2, 3))
    return (weight * per_image).mean()


def train(config: TinyDDPMConfig) -> Trained:
    """The UNet with its encoder, then the classifier, from the same generated dataset."""
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    images, labels = dataset.generate(
        config.dataset, config.image_size, config.seed, config.small_size
    )
    data, codes = to_tensor(images), torch.as_tensor(labels)
    unet = build_unet(config.image_size, config.channels, config.cond_dim, config.global_cond)
    encoder = AttributeEncoder(config.cond_dim)
    params = [*unet.parameters(), *encoder.parameters()]
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)
    warmup = max(1, config.train_steps // 20)
    lr = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / warmup))
    ema = EMAModel(params, decay=config.ema_decay)
    schedule = noise_schedule(config.prediction)
    started, loss_sum = time.perf_counter(), 0.0
    tail = max(1, config.train_steps // 10)
    for step in range(config.train_steps):
        pick = torch.randint(0, len(data), (config.batch,), generator=gen)
        batch_codes = codes[pick].clone()
        hide(batch_codes, config.drop_slot, config.drop_all, gen)
        tokens = encoder(batch_codes)
        loss = denoising_loss(
            unet, tokens, data[pick], schedule, gen, config.min_snr, config.snr_floor
        )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        lr.step()
        ema.step(params)
        if step >= config.train_steps - tail:
            loss_sum += loss.item()
    ema.copy_to(params)
    unet_s = time.perf_counter() - started
    classifier, accuracy, classifier_s = train_classifier(config)
    info = {
        "unet_seconds": round(unet_s, 1),
        "final_loss": round(loss_sum / tail, 5),
        "classifier_seconds": round(classifier_s, 1),
        "classifier_accuracy": round(accuracy, 4),
    }
    return Trained(unet.eval(), encoder.eval(), classifier, info)


def train_classifier(config: TinyDDPMConfig) -> tuple[Classifier, float, float]:
    """The labeller: trained on noisy, slightly blurred copies of the dataset (generated images
    are never as crisp as drawn ones); its accuracy (all slots right) on fresh held-out images."""
    started = time.perf_counter()
    torch.manual_seed(config.seed + 1)
    gen = torch.Generator().manual_seed(config.seed + 1)
    images, labels = dataset.generate(
        config.dataset, config.image_size, config.seed + 1, config.small_size
    )
    data, targets = to_tensor(images), torch.as_tensor(labels)
    model = Classifier()
    model(data[:1])  # materialise the lazy layer before the optimiser sees the parameters
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(config.classifier_steps):
        pick = torch.randint(0, len(data), (config.classifier_batch,), generator=gen)
        x = augment(data[pick], gen)
        logits = model(x)
        loss = sum(loss_fn(out, targets[pick, i]) for i, out in enumerate(logits))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    model.eval()
    held_images, held_labels = dataset.generate(
        512, config.image_size, config.seed + 2, config.small_size
    )
    with torch.no_grad():
        logits = model(to_tensor(held_images))
    predicted = np.stack([out.argmax(1).numpy() for out in logits], axis=1)
    accuracy = float((predicted == held_labels).all(axis=1).mean())
    return model, accuracy, time.perf_counter() - started


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Pixel noise of a random strength and, for half the batch, a light box blur."""
    strength = torch.rand(x.shape[0], 1, 1, 1, generator=gen) * 0.15
    noisy = x + strength * torch.randn(x.shape, generator=gen)
    blurred = nn.functional.avg_pool2d(noisy, 3, stride=1, padding=1, count_include_pad=False)
    choose = torch.rand(x.shape[0], 1, 1, 1, generator=gen) < 0.5
    return torch.where(choose, 0.5 * noisy + 0.5 * blurred, noisy).clamp(-1, 1)

"""Optimizers and learning-rate schedules by name, in the notes' (Keras) vocabulary.

Schedules are a per-step multiplier on `learning_rate` (a `LambdaLR`), so their whole state is the
step count and a resumed run continues the curve exactly.
"""

from __future__ import annotations

import math

import torch

from mnistlab.config import TrainConfig


ONE_CYCLE_DIV = 25  # one_cycle starts at learning_rate / 25, as PyTorch's OneCycleLR (div_factor)


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    lr, wd = cfg.learning_rate, cfg.weight_decay
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, nesterov=cfg.nesterov and cfg.momentum > 0,
                               weight_decay=wd)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(cfg.beta_1, cfg.beta_2), weight_decay=wd)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=(cfg.beta_1, cfg.beta_2), weight_decay=wd)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=cfg.momentum, weight_decay=wd)
    if cfg.optimizer == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, rho=cfg.rho, weight_decay=wd)
    raise ValueError(cfg.optimizer)  # unreachable: config validation lists the choices


def lr_factor(step: int, steps_per_epoch: int, cfg: TrainConfig) -> float:
    """Multiplier on learning_rate at optimizer step `step` (0-based)."""
    total = max(1, steps_per_epoch * cfg.epochs)
    t = min(step / total, 1.0)
    if cfg.schedule == "constant":
        return 1.0
    if cfg.schedule == "step":  # PyTorch's StepLR, counted in epochs
        return cfg.gamma ** (step // (steps_per_epoch * cfg.step_size))
    if cfg.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * t))
    # one_cycle: rise linearly from 1/ONE_CYCLE_DIV to 1 over the warmup fraction, then fall linearly to 0.
    if t < cfg.warmup:
        start = 1 / ONE_CYCLE_DIV
        return start + (1 - start) * t / cfg.warmup
    return max(0.0, (1.0 - t) / (1.0 - cfg.warmup))


def make_schedule(optimizer: torch.optim.Optimizer, steps_per_epoch: int, cfg: TrainConfig):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, steps_per_epoch, cfg))

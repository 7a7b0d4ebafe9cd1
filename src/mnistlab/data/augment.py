"""Augmentation (`data.shift`, `data.rotation`): new views of a batch of training images.

It works on float batches on whatever device they live, drawing from the generator it is given, so the
trainer's per-epoch seeding makes a resumed run see the same views. `mnistlab code --framework pytorch`
copies this function's source into the scripts it writes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def augment(x: torch.Tensor, shift: int, rotation: float, generator: torch.Generator) -> torch.Tensor:
    """Random shifts (pixels) and rotations (degrees) of a batch [N, C, H, W], as one affine resample."""
    n, _, h, w = x.shape
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(rotation)
    # affine_grid works in [-1, 1] coordinates: a shift of s pixels is 2*s/size there.
    tx = torch.randint(-shift, shift + 1, (n,), generator=generator) * 2.0 / w
    ty = torch.randint(-shift, shift + 1, (n,), generator=generator) * 2.0 / h
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1).to(x)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)

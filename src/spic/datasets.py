"""Dataset listings (image + label paths) for CamVid and Cityscapes, from a ``kind:DIR`` spec."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Sample:
    name: str
    image: Path
    labels: Path | None
    label_set: str


def camvid_samples(root: str | Path, split: str = "val") -> list[Sample]:
    """CamVid in the SegNet layout: ``<split>/*.png`` with labels in ``<split>annot/``."""
    root = Path(root)
    images = sorted((root / split).glob("*.png"))
    if not images:
        raise FileNotFoundError(f"no CamVid images in {root / split}")
    return [Sample(p.stem, p, root / f"{split}annot" / p.name, "camvid11") for p in images]


def cityscapes_samples(root: str | Path, split: str = "val") -> list[Sample]:
    """Cityscapes ``leftImg8bit/<split>/*/*.png`` with ``gtFine/..._labelTrainIds.png`` labels."""
    root = Path(root)
    images = sorted((root / "leftImg8bit" / split).glob("*/*_leftImg8bit.png"))
    if not images:
        raise FileNotFoundError(f"no Cityscapes images in {root / 'leftImg8bit' / split}")
    out = []
    for p in images:
        stem = p.name.replace("_leftImg8bit.png", "")
        lab = root / "gtFine" / split / p.parent.name / f"{stem}_gtFine_labelTrainIds.png"
        out.append(Sample(stem, p, lab, "cityscapes19"))
    return out


LOADERS = {"camvid": camvid_samples, "cityscapes": cityscapes_samples}


def load_samples(spec: str, split: str = "val") -> list[Sample]:
    """Samples from a ``camvid:DIR`` or ``cityscapes:DIR`` spec."""
    kind, sep, root = spec.partition(":")
    if not sep or kind not in LOADERS:
        raise ValueError(f"dataset spec must be one of {sorted(LOADERS)} as KIND:DIR, got {spec!r}")
    return LOADERS[kind](root, split)


def read_rgb(path: str | Path) -> np.ndarray:
    """An image file as H x W x 3 uint8 RGB."""
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def read_labels(path: str | Path) -> np.ndarray:
    """A label PNG as H x W uint8 (palette indices or gray values, never colours)."""
    with Image.open(path) as img:
        if img.mode not in ("L", "P"):
            raise ValueError(f"{path}: label images must be 8-bit gray or palette, got {img.mode}")
        return np.array(img)  # palette mode: the indices themselves

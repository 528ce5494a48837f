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


#: Committed frame lists (one frame name per line, ``#`` comments) carved from a dataset split.
SPLITS_DIR = Path(__file__).resolve().parent / "splits"
#: Derived CamVid splits: name -> (source split, selection list, keep the listed frames?).
#: ``selection`` chooses checkpoints, samplers and hyper-parameters; ``fit`` (train minus
#: selection) is what training sees. ``val`` is evaluated once per released model.
CAMVID_DERIVED = {"selection": ("train", "camvid_selection.txt", True),
                  "fit": ("train", "camvid_selection.txt", False)}


def split_names(list_name: str) -> frozenset[str]:
    """The frame names of a committed split list in :data:`SPLITS_DIR`."""
    lines = (SPLITS_DIR / list_name).read_text().splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def camvid_samples(root: str | Path, split: str = "val") -> list[Sample]:
    """CamVid in the SegNet layout: ``<split>/*.png`` with labels in ``<split>annot/``.

    Besides the folders on disk, ``selection`` and ``fit`` are the committed selection
    frames of train and the rest of train (see :data:`CAMVID_DERIVED`).
    """
    root = Path(root)
    if split in CAMVID_DERIVED:
        source, list_name, keep = CAMVID_DERIVED[split]
        names = split_names(list_name)
        samples = camvid_samples(root, source)
        found = {s.name for s in samples} & names
        if found != names:
            raise FileNotFoundError(f"{list_name}: {len(names - found)} listed frames are "
                                    f"missing from {root / source}")
        return [s for s in samples if (s.name in names) == keep]
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

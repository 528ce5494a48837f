"""Training frames for SCSRDM: targets, run-time-identical coarse images, and label maps.

Coarse images are made exactly as the vehicle makes them (``area_downscale`` then the
registered coarse codec's encode/decode at its quality) and upsampled exactly as the
decoder's input is (``upscale_to``, bicubic). Decoded coarse images (and segmenter
predictions, when used) are cached as PNG so the codec runs once per frame, not per step.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from spic.codecs import create_codec
from spic.datasets import Sample, load_samples, read_labels, read_rgb
from spic.image_ops import area_downscale, upscale_to


@dataclass(frozen=True)
class CoarseSpec:
    """How coarse images are made: codec registry name, quality, downscale factor."""

    codec: str = "bpg"
    quality: int | None = 35
    downscale: int = 4

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def tag(self) -> str:
        return f"{self.codec}-q{self.quality}-d{self.downscale}"


def make_coarse(rgb: np.ndarray, spec: CoarseSpec, codec=None) -> tuple[np.ndarray, int]:
    """The decoded coarse image of an RGB frame and its coded size in bytes."""
    codec = codec or create_codec(spec.codec, quality=spec.quality)
    data = codec.encode(area_downscale(rgb, spec.downscale))
    return codec.decode(data), len(data)


def _cached_png(path: Path, make) -> np.ndarray:
    if path.exists():
        with Image.open(path) as img:
            return np.array(img)
    value = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    Image.fromarray(value).save(tmp)
    tmp.replace(path)
    return value


@dataclass
class Frame:
    """One full training frame: uint8 target, upsampled coarse image, label map."""

    name: str
    rgb: np.ndarray      # H x W x 3
    coarse_up: np.ndarray  # H x W x 3 (bicubic upsample of the decoded coarse image)
    labels: np.ndarray   # H x W
    coarse: np.ndarray | None = None  # the decoded coarse image itself (h x w x 3)


def load_frames(samples: list[Sample], spec: CoarseSpec, cache_dir: Path | None = None,
                segmenter=None, segmenter_tag: str = "segmenter",
                progress: bool = False) -> list[Frame]:
    """Load frames and build (or read cached) coarse images and label maps.

    ``segmenter`` (a :class:`spic.segmentation.Segmenter`) replaces the ground-truth
    labels by its predictions, cached under ``segmenter_tag`` (name it after the model).
    """
    codec = create_codec(spec.codec, quality=spec.quality)
    seg_tag = "ssm-" + hashlib.sha1(segmenter_tag.encode()).hexdigest()[:10]
    iterator = samples
    if progress:
        from tqdm import tqdm
        iterator = tqdm(samples, desc=f"coarse {spec.tag}", leave=False)
    frames = []
    for s in iterator:
        rgb = read_rgb(s.image)
        root = None
        if cache_dir is not None:
            digest = hashlib.sha1(str(s.image.resolve()).encode()).hexdigest()[:10]
            root = Path(cache_dir) / spec.tag
            coarse = _cached_png(root / f"{s.name}-{digest}.png",
                                 lambda: make_coarse(rgb, spec, codec)[0])
        else:
            coarse = make_coarse(rgb, spec, codec)[0]
        h, w = rgb.shape[:2]
        coarse_up = upscale_to(coarse, w, h, spec.downscale)
        if segmenter is not None:
            if root is not None:
                labels = _cached_png(root.parent / seg_tag / f"{s.name}-{digest}.png",
                                     lambda: segmenter.segment(rgb))
            else:
                labels = segmenter.segment(rgb)
        elif s.labels is not None:
            labels = read_labels(s.labels)
        else:
            raise ValueError(f"{s.name}: no labels and no segmenter")
        if labels.shape != (h, w):
            raise ValueError(f"{s.name}: labels {labels.shape} differ from image {h}x{w}")
        frames.append(Frame(s.name, rgb, coarse_up, labels, coarse))
    return frames


def to_model_range(images: np.ndarray) -> torch.Tensor:
    """(..., H, W, 3) uint8 -> (..., 3, H, W) float in [-1, 1]."""
    t = torch.from_numpy(images.astype(np.float32)).div_(127.5).sub_(1.0)  # a writable copy
    return t.movedim(-1, -3)


def from_model_range(x: torch.Tensor) -> np.ndarray:
    """(..., 3, H, W) float in [-1, 1] -> (..., H, W, 3) uint8 (rounded)."""
    x = ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.movedim(-3, -1).cpu().numpy()


class CropSampler:
    """Random crops (aligned to the downscale factor) with random horizontal flips.

    ``teacher``: optional full-resolution images, one per frame (e.g. a teacher sampler's
    outputs), cropped with the same windows and returned as ``teacher``.
    """

    def __init__(self, frames: list[Frame], crop: int, align: int = 4, flip: bool = True,
                 teacher: list[np.ndarray] | None = None) -> None:
        if not frames:
            raise ValueError("no training frames")
        if crop % align:
            raise ValueError(f"crop {crop} is not a multiple of the alignment {align}")
        for f in frames:
            if f.rgb.shape[0] < crop or f.rgb.shape[1] < crop:
                raise ValueError(f"{f.name}: frame {f.rgb.shape[:2]} smaller than crop {crop}")
        if teacher is not None and [t.shape for t in teacher] != [f.rgb.shape for f in frames]:
            raise ValueError("teacher images must match the frames one to one")
        self.frames, self.crop, self.align, self.flip = frames, crop, align, flip
        self.teacher = teacher
        self.keep_small = all(f.coarse is not None for f in frames)

    def batch(self, size: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """``size`` crops as tensors: ``target``, ``coarse`` (B,3,c,c) and ``labels`` (B,c,c).

        Also ``coarse_small`` (B,3,c/align,c/align), the decoded coarse image under the crop,
        when every frame has it, and ``teacher`` when the sampler was given teacher images.
        """
        c, a, keep_small = self.crop, self.align, self.keep_small
        rgb = np.empty((size, c, c, 3), np.uint8)
        coarse = np.empty_like(rgb)
        teacher = np.empty_like(rgb) if self.teacher is not None else None
        small = np.empty((size, c // a, c // a, 3), np.uint8) if keep_small else None
        labels = np.empty((size, c, c), np.uint8)
        for i in range(size):
            k = int(rng.integers(len(self.frames)))
            f = self.frames[k]
            h, w = f.labels.shape
            y = rng.integers((h - c) // a + 1) * a
            x = rng.integers((w - c) // a + 1) * a
            step = -1 if self.flip and rng.random() < 0.5 else 1
            window = (slice(y, y + c), slice(x, x + c))
            rgb[i] = f.rgb[window][:, ::step]
            coarse[i] = f.coarse_up[window][:, ::step]
            labels[i] = f.labels[window][:, ::step]
            if keep_small:
                small[i] = f.coarse[y // a:(y + c) // a, x // a:(x + c) // a][:, ::step]
            if self.teacher is not None:
                teacher[i] = self.teacher[k][window][:, ::step]
        out = {"target": to_model_range(rgb), "coarse": to_model_range(coarse),
               "labels": torch.from_numpy(labels)}
        if keep_small:
            out["coarse_small"] = to_model_range(small)
        if self.teacher is not None:
            out["teacher"] = to_model_range(teacher)
        return out


def dataset_frames(spec: str, split: str, coarse: CoarseSpec, cache_dir: Path | None,
                   limit: int | None = None, segmenter=None, segmenter_tag: str = "segmenter",
                   progress: bool = False) -> list[Frame]:
    """Frames of a ``camvid:DIR`` / ``cityscapes:DIR`` split (optionally ``limit`` evenly spread)."""
    samples = load_samples(spec, split)
    if limit is not None and limit < len(samples):
        samples = [samples[i * len(samples) // limit] for i in range(limit)]
    return load_frames(samples, coarse, cache_dir, segmenter, segmenter_tag, progress)

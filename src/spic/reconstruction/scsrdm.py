"""The SCSRDM reconstructor: diffusion super-resolution conditioned on the coarse image and SSM."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from spic.codecs.base import DEFAULT_MAX_PIXELS
from spic.diffusion.checkpoint import load_model
from spic.diffusion.consistency import project_to_coarse
from spic.diffusion.pipeline import SAMPLING_MODES, SCSRDMPipeline, cpu_has_native_bf16
from spic.diffusion.schedulers import NoiseSchedule
from spic.errors import ImageTooLargeError, UnsupportedInputError
from spic.image_ops import coarse_size, upscale_to
from spic.labelsets import LabelSet
from spic.reconstruction.base import Reconstructor
from spic.runtime import set_torch_threads

_WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
#: The embedded teacher: the multi-step guided model (config.json + model.safetensors).
DEFAULT_WEIGHTS = _WEIGHTS / "scsrdm"
#: The embedded model of each mode: ``quality`` samples the teacher with 20 guided steps,
#: ``fast`` runs the one-step student distilled from it (one U-Net pass per frame).
MODE_WEIGHTS = {"quality": DEFAULT_WEIGHTS, "fast": _WEIGHTS / "scsrdm_fast"}
#: The mode used when none is given: the student is better than its teacher on the
#: selection split under both judges and in LPIPS, at one U-Net pass (see its model card).
DEFAULT_MODE = "fast"
#: ``consistency`` options: ``none``, or ``project`` (shift every 4x4 block so that the
#: output's area average equals the decoded coarse image exactly).
CONSISTENCY = ("none", "project")


class ScsrdmReconstructor(Reconstructor):
    """Sample a frame with SCSRDM in one of two modes (see :data:`MODE_WEIGHTS`).

    ``mode`` picks the embedded weights and their sampling (``SAMPLING_MODES``): ``quality``
    is the ``paper`` start (the coarse image at t = 192), 20 DDIM steps with eta 0.2 and
    classifier-free guidance 4; ``fast`` is one pass of the distilled student. Any sampling
    option given (``steps``, ``guidance_scale``, ...) overrides the mode's value.

    ``weights``: a model folder instead of the mode's. ``threads``: torch's intra-op threads
    for the process (the first plug-in to ask sets it, see :func:`spic.runtime.set_torch_threads`).
    ``bf16``: bfloat16 autocast; ``"auto"`` (default) where the CPU has native bf16.
    ``consistency``: ``project`` adds an exact data-consistency step on the coarse image.
    ``max_pixels``: larger frames raise ``ImageTooLargeError`` (activations grow linearly with
    the frame, ~0.7 GB per megapixel).

    Coarse images from another codec than the model's (``card.coarse.codec``, BPG) raise
    ``UnsupportedInputError``; any quality of that codec is accepted, since rate control varies
    it from frame to frame (the model was trained at ``card.coarse.quality``, q35).
    """

    def __init__(self, mode: str = DEFAULT_MODE, weights: str | Path | None = None,
                 steps: int | None = None, start: str | None = None, t_start: int | None = None,
                 guidance_scale: float | None = None, sampler: str | None = None,
                 seed: int | None = None, eta: float | None = None, threads: int | None = None,
                 bf16: bool | str = "auto", consistency: str = "none",
                 max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        # Options may arrive as strings (ROS parameters, KEY=VALUE lists): coerce them.
        mode = str(mode)
        if mode not in MODE_WEIGHTS:
            raise ValueError(f"scsrdm mode must be one of {sorted(MODE_WEIGHTS)}, got {mode!r}")
        if str(consistency) not in CONSISTENCY:
            raise ValueError(f"consistency must be one of {CONSISTENCY}, got {consistency!r}")
        set_torch_threads(threads)
        self.mode, self.consistency = mode, str(consistency)
        model, self.card = load_model(weights or MODE_WEIGHTS[mode])
        self.pipeline = SCSRDMPipeline(model, NoiseSchedule(self.card.schedule),
                                       bf16=_bf16(bf16))
        base = SAMPLING_MODES[mode]
        given = {"num_steps": _maybe(int, steps), "start": _maybe(str, start),
                 "t_start": _maybe(int, t_start), "guidance_scale": _maybe(float, guidance_scale),
                 "sampler": _maybe(str, sampler), "seed": _maybe(int, seed),
                 "eta": _maybe(float, eta)}
        self.sampling = replace(base, **{k: v for k, v in given.items() if v is not None})
        self.sampling.validate(self.card.schedule.num_train_timesteps)
        self.max_pixels = int(max_pixels)

    def reconstruct(self, coarse: np.ndarray, ssm: np.ndarray, label_set: LabelSet,
                    downscale: int, *, coarse_codec: str | None = None,
                    coarse_quality: int | None = None) -> np.ndarray:
        trained = self.card.coarse
        if coarse_codec is not None and coarse_codec != trained.codec:
            raise UnsupportedInputError(f"this SCSRDM model was trained on {trained.codec} "
                                        f"q{trained.quality} coarse images, got {coarse_codec}")
        if label_set.id != self.card.label_set:
            raise UnsupportedInputError(f"this SCSRDM model was trained on "
                                        f"{self.card.label_set} maps, got {label_set.id}")
        if downscale != self.card.coarse.downscale:
            raise UnsupportedInputError(f"this SCSRDM model expects 1/"
                                        f"{self.card.coarse.downscale} coarse images, "
                                        f"got 1/{downscale}")
        if ssm.ndim != 2 or coarse.ndim != 3 or coarse.shape[2] != 3:
            raise ValueError(f"expected an H x W map and an h x w x 3 coarse image, "
                             f"got {ssm.shape} and {coarse.shape}")
        height, width = ssm.shape
        if height * width > self.max_pixels:
            raise ImageTooLargeError(f"scsrdm: frame {width}x{height} exceeds the limit of "
                                     f"{self.max_pixels} pixels")
        if coarse.shape[1::-1] != coarse_size(width, height, downscale):
            raise ValueError(f"coarse image {coarse.shape[1]}x{coarse.shape[0]} does not match "
                             f"a {width}x{height} frame at 1/{downscale}")
        coarse_up = upscale_to(coarse, width, height, downscale)
        out = self.pipeline(coarse_up, ssm, self.sampling)
        if self.consistency == "project":
            out = project_to_coarse(out, coarse, downscale)
        return out


def _in_mode(mode: str, options: dict) -> ScsrdmReconstructor:
    if options.pop("mode", mode) != mode:
        raise ValueError(f"scsrdm-{mode} takes no other mode; use scsrdm with mode=...")
    return ScsrdmReconstructor(mode=mode, **options)


def fast(**options) -> ScsrdmReconstructor:
    """Registry entry ``scsrdm-fast``: the one-step student."""
    return _in_mode("fast", options)


def quality(**options) -> ScsrdmReconstructor:
    """Registry entry ``scsrdm-quality``: the guided 20-step sampler."""
    return _in_mode("quality", options)


def _maybe(kind, value):
    return None if value is None else kind(value)


def _bf16(value: bool | str | int) -> bool:
    """The ``bf16`` option: a boolean, or ``auto`` = where the CPU computes bf16 natively."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return cpu_has_native_bf16()
    return _flag(value)


def _flag(value: bool | str | int) -> bool:
    """A boolean option given as bool, 0/1 or a word (true/false, yes/no, on/off)."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
            raise ValueError(f"expected a boolean, got {value!r}")
        return word in ("true", "yes", "on", "1")
    return bool(value)

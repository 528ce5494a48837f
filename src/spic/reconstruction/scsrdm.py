"""The SCSRDM reconstructor: diffusion super-resolution conditioned on the coarse image and SSM."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from spic.cancellation import Cancelled
from spic.codecs.base import DEFAULT_MAX_PIXELS
from spic.diffusion.checkpoint import load_model
from spic.diffusion.consistency import project_to_coarse
from spic.diffusion.pipeline import SAMPLING_MODES
from spic.diffusion.precision import fastest_pipeline
from spic.diffusion.schedulers import NoiseSchedule
from spic.errors import ImageTooLargeError, UnsupportedInputError
from spic.image_ops import coarse_size, upscale_to
from spic.labelsets import LabelSet
from spic.reconstruction.base import ReconstructionInput, Reconstructor
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
    option given (``steps``, ``guidance_scale``, ``residual_scale``, ...) overrides the
    mode's value.

    ``weights``: a model folder instead of the mode's. ``threads``: torch's intra-op threads
    for the process (the first plug-in to ask sets it, see :func:`spic.runtime.set_torch_threads`).
    ``precision``: how the U-Net runs (:data:`~spic.diffusion.precision.PRECISIONS`):
    ``float32`` (eager), ``float32-frozen`` / ``bf16-frozen`` (frozen graphs, ``FrozenUNet``),
    ``onnxruntime`` (one float32 graph per pass, unguided sampling only), or ``auto``
    (default): bf16 for guided passes with AMX, otherwise the fastest candidate in a few timed
    passes
    (:func:`~spic.diffusion.precision.fastest_pipeline`; the attribute ``precision`` says what
    was chosen and why).
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
                 seed: int | None = None, eta: float | None = None,
                 residual_scale: float | None = None, threads: int | None = None,
                 precision: str = "auto", consistency: str = "none",
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
        base = SAMPLING_MODES[mode]
        given = {"num_steps": _maybe(int, steps), "start": _maybe(str, start),
                 "t_start": _maybe(int, t_start), "guidance_scale": _maybe(float, guidance_scale),
                 "sampler": _maybe(str, sampler), "seed": _maybe(int, seed),
                 "eta": _maybe(float, eta), "residual_scale": _maybe(float, residual_scale)}
        self.sampling = replace(base, **{k: v for k, v in given.items() if v is not None})
        self.sampling.validate(self.card.schedule.num_train_timesteps)
        self.pipeline, self.precision = fastest_pipeline(
            model, NoiseSchedule(self.card.schedule), str(precision), self.sampling)
        self.max_pixels = int(max_pixels)

    def reconstruct(self, coarse: np.ndarray, ssm: np.ndarray, label_set: LabelSet,
                    downscale: int, *, coarse_codec: str | None = None,
                    coarse_quality: int | None = None) -> np.ndarray:
        frame = ReconstructionInput(coarse, ssm, label_set, downscale, coarse_codec,
                                    coarse_quality)
        coarse_up = self._coarse_up(frame)
        return self._finish(self.pipeline(coarse_up, ssm, self.sampling), frame)

    def reconstruct_batch(self, frames: Sequence[ReconstructionInput]
                          ) -> list[np.ndarray | Exception]:
        """Frames of the same size run through the U-Net together (one batched pass per
        step, of at most ``max_pixels`` pixels in all: the memory of one largest frame); each
        frame's refusal or failure is returned in its place. In ``fast`` mode a frame's
        result does not depend on the batch (to within bf16 rounding)."""
        results: list[np.ndarray | Exception | None] = [None] * len(frames)
        by_size: dict[tuple[int, int], list[tuple[int, np.ndarray]]] = {}
        for i, frame in enumerate(frames):
            try:
                by_size.setdefault(frame.ssm.shape, []).append((i, self._coarse_up(frame)))
            except ValueError as exc:  # refused: UnsupportedInputError, ImageTooLargeError, ...
                results[i] = exc
        for (height, width), group in by_size.items():
            per_pass = max(1, self.max_pixels // (height * width))
            for k in range(0, len(group), per_pass):
                self._sample(group[k:k + per_pass], frames, results)
        return results

    def _sample(self, group: list[tuple[int, np.ndarray]], frames: Sequence[ReconstructionInput],
                results: list) -> None:
        """One batched pass over ``group`` (index into ``frames``, upsampled coarse image):
        each frame's result into ``results``."""
        index = [i for i, _ in group]
        try:
            out = self.pipeline.sample_frames(np.stack([up for _, up in group]),
                                              np.stack([frames[i].ssm for i in index]),
                                              self.sampling)
        except Cancelled:
            raise
        except Exception as exc:  # e.g. out of memory: every frame of this pass failed
            for i in index:
                results[i] = exc
            return
        for i, rgb in zip(index, out):
            results[i] = self._finish(rgb, frames[i])

    def _coarse_up(self, frame: ReconstructionInput) -> np.ndarray:
        """The checked frame's coarse image upsampled to the map's size (the model's input)."""
        coarse, ssm, downscale = frame.coarse, frame.ssm, frame.downscale
        trained = self.card.coarse
        if frame.coarse_codec is not None and frame.coarse_codec != trained.codec:
            raise UnsupportedInputError(f"this SCSRDM model was trained on {trained.codec} "
                                        f"q{trained.quality} coarse images, got "
                                        f"{frame.coarse_codec}")
        if frame.label_set.id != self.card.label_set:
            raise UnsupportedInputError(f"this SCSRDM model was trained on "
                                        f"{self.card.label_set} maps, got {frame.label_set.id}")
        if downscale != trained.downscale:
            raise UnsupportedInputError(f"this SCSRDM model expects 1/{trained.downscale} "
                                        f"coarse images, got 1/{downscale}")
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
        return upscale_to(coarse, width, height, downscale)

    def _finish(self, out: np.ndarray, frame: ReconstructionInput) -> np.ndarray:
        if self.consistency == "project":
            return project_to_coarse(out, frame.coarse, frame.downscale)
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

"""Which precision runs the U-Net fastest on this CPU: float32 eager or bfloat16 frozen graphs.

bf16 pays where the CPU multiplies bfloat16 matrices in hardware (AMX) and costs nothing to
try elsewhere, but CPUs with only the AVX512-BF16 dot-product instructions go either way:
on one such 2-core host a 480x360 fast-mode frame took 188 ms in float32 and 214 ms as
frozen bf16 graphs (``benchmarks/bench_scsrdm.py --bf16 on --against-fp32``), where an
earlier host of the same family favoured bf16. So ``auto`` decides by instruction set where
that settles it and by timing where it does not: a few interleaved passes of each precision
on a synthetic frame, once per process and model architecture.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from spic.diffusion.pipeline import SamplingConfig, SCSRDMPipeline
from spic.diffusion.schedulers import NoiseSchedule
from spic.diffusion.unet import SCSRDMUNet

#: The frame size timed (the pipeline pads 480x360 to this): CamVid's, a common camera size.
PROBE_SIZE = (368, 480)
#: Interleaved rounds of one pass per precision, after one warm-up pass each (which traces
#: the frozen graphs).
ROUNDS = 3


@dataclass(frozen=True)
class PrecisionChoice:
    """The decision and why: ``reason`` is ``requested``, ``AMX``, ``no bf16 instructions``
    or ``measured``; ``median_ms`` holds the timed passes when measured."""

    bf16: bool
    reason: str
    median_ms: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        timing = ", ".join(f"{k} {v:.0f} ms" for k, v in self.median_ms.items())
        return (f"{'bf16' if self.bf16 else 'float32'} ({self.reason}"
                f"{': ' + timing if timing else ''})")


#: Measured choices of this process, by (architecture, threads, guided): a second
#: reconstructor of the same model does not time again.
_MEASURED: dict[tuple, PrecisionChoice] = {}


def fastest_pipeline(model: SCSRDMUNet, schedule: NoiseSchedule, bf16: bool | None,
                     sampling: SamplingConfig) -> tuple[SCSRDMPipeline, PrecisionChoice]:
    """A pipeline for ``model`` in the requested precision (``bf16`` True/False) or, with
    ``None`` (``auto``), the faster one on this CPU for ``sampling``'s kind of pass."""
    if bf16 is not None:
        return SCSRDMPipeline(model, schedule, bf16=bf16), PrecisionChoice(bf16, "requested")
    if torch.cpu._is_amx_tile_supported():
        return SCSRDMPipeline(model, schedule, bf16=True), PrecisionChoice(True, "AMX")
    if not torch.cpu._is_avx512_bf16_supported():
        choice = PrecisionChoice(False, "no bf16 instructions")
        return SCSRDMPipeline(model, schedule, bf16=False), choice
    guided = sampling.guidance_scale != 1.0
    key = (json.dumps(model.config.to_dict(), sort_keys=True), torch.get_num_threads(), guided)
    if key in _MEASURED:
        choice = _MEASURED[key]
        return SCSRDMPipeline(model, schedule, bf16=choice.bf16), choice
    candidates = {"float32": SCSRDMPipeline(model, schedule, bf16=False),
                  "bf16": SCSRDMPipeline(model, schedule, bf16=True)}
    times = _time_passes(candidates, SamplingConfig(num_steps=1,
                                                    guidance_scale=sampling.guidance_scale))
    median = {name: round(1000 * statistics.median(t), 1) for name, t in times.items()}
    choice = _MEASURED[key] = PrecisionChoice(median["bf16"] < median["float32"], "measured",
                                              median)
    pipeline = candidates["bf16" if choice.bf16 else "float32"]
    pipeline.decoder_passes = 0  # the timing passes are not the caller's
    return pipeline, choice


def _time_passes(pipelines: dict[str, SCSRDMPipeline],
                 sampling: SamplingConfig) -> dict[str, list[float]]:
    """Seconds per pass of each pipeline on one synthetic frame, interleaved."""
    height, width = PROBE_SIZE
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, (1, height, width, 3), dtype=np.uint8)
    labels = np.repeat(np.arange(height * width // 64) % 11, 64).reshape(1, height, width)
    for pipeline in pipelines.values():  # warm-up: traces the frozen graphs
        pipeline.sample_frames(coarse, labels, sampling)
    times: dict[str, list[float]] = {name: [] for name in pipelines}
    for _ in range(ROUNDS):
        for name, pipeline in pipelines.items():
            start = time.perf_counter()
            pipeline.sample_frames(coarse, labels, sampling)
            times[name].append(time.perf_counter() - start)
    return times

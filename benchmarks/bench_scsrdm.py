"""SCSRDM speed: seconds per 480x360 frame (median, p90), U-Net passes per frame, peak memory.

    .venv/bin/python benchmarks/bench_scsrdm.py --mode fast [--threads 2 --frames 20]
    .venv/bin/python benchmarks/bench_scsrdm.py --mode quality --frames 5
    .venv/bin/python benchmarks/bench_scsrdm.py --mode fast --batch 4   # + N frames per pass
    .venv/bin/python benchmarks/bench_scsrdm.py --mode fast --against float32  # A/B, interleaved
    .venv/bin/python benchmarks/bench_scsrdm.py --precision bf16-frozen --against float32
    .venv/bin/python benchmarks/bench_scsrdm.py --weights NEW --against-weights OLD  # A/B weights

Quality (judge mIoU, LPIPS, PSNR, coarse consistency) is measured by ``spic eval``
(``--ssm gt`` for the paper's setting); see docs/scsrdm.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from dataclasses import asdict
from pathlib import Path

import spic  # noqa: F401  (first: sets OpenMP's wait policy before torch loads)
import numpy as np

from spic.diffusion.precision import PRECISIONS
from spic.labelsets import CAMVID11
from spic.runtime import set_torch_threads

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float:
    """The resident set now (Linux), not its peak."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def speed(args: argparse.Namespace) -> dict:
    """Time ``args.frames`` reconstructions of one frame after a warm-up."""
    from spic.datasets import camvid_samples, read_labels, read_rgb
    from spic.image_ops import area_downscale
    from spic.reconstruction.scsrdm import ScsrdmReconstructor

    set_torch_threads(args.threads)
    camvid = SHARED / "data" / "camvid"
    if camvid.exists():
        sample = camvid_samples(camvid, "val")[0]
        rgb, labels = read_rgb(sample.image), read_labels(sample.labels)
    else:  # a synthetic frame keeps the benchmark runnable anywhere
        from spic.synthetic import synthetic_clip
        frame = synthetic_clip(1)[0]
        rgb, labels = frame.rgb, frame.labels
    coarse = area_downscale(rgb, 4)
    base_rss = _rss_mib()
    options = {k: v for k, v in (("steps", args.steps), ("guidance_scale", args.guidance),
                                  ("eta", args.eta), ("weights", args.weights)) if v is not None}
    recon = ScsrdmReconstructor(mode=args.mode, precision=args.precision,
                                consistency=args.consistency, **options)
    pipeline, model = recon.pipeline, recon.pipeline.model
    t0 = time.perf_counter()
    recon.reconstruct(coarse, labels, CAMVID11, 4)  # warm-up (traces the frozen graphs)
    first_ms = 1000 * (time.perf_counter() - t0)
    times = []
    passes_before = pipeline.decoder_passes  # counted by the pipeline at each decoder call
    for _ in range(args.frames):
        t0 = time.perf_counter()
        recon.reconstruct(coarse, labels, CAMVID11, 4)
        times.append(time.perf_counter() - t0)
    counted = {"unet_passes_per_frame": (pipeline.decoder_passes - passes_before) / args.frames,
               "first_frame_ms": round(first_ms, 1)}
    batched = {}
    if args.batch > 1:  # N frames in one batched pass (a multi-stream decoder's round)
        from spic.reconstruction import ReconstructionInput

        frames = [ReconstructionInput(coarse, labels, CAMVID11, 4)] * args.batch
        recon.reconstruct_batch(frames)  # warm-up
        batch_times = []
        for _ in range(max(1, args.frames // args.batch)):
            t0 = time.perf_counter()
            recon.reconstruct_batch(frames)
            batch_times.append(time.perf_counter() - t0)
        batched = {"batch": args.batch, "batched_median_ms_per_frame":
                   round(1000 * float(np.median(batch_times)) / args.batch, 1)}
    retained = {}
    if args.large:  # what stays resident after one large frame (allocator / arena caches)
        width, height = (int(v) for v in args.large.lower().split("x"))
        big = np.resize(coarse, (height // 4, width // 4, 3))
        big_labels = np.resize(labels, (height, width))
        before = _current_rss_mib()
        recon.reconstruct(big, big_labels, CAMVID11, 4)
        for _ in range(3):
            recon.reconstruct(coarse, labels, CAMVID11, 4)
        retained = {"large_frame": args.large, "rss_before_large_MiB": round(before, 1),
                    "rss_after_large_and_3_frames_MiB": round(_current_rss_mib(), 1)}
    against = {}
    for other in args.against:
        against.update(_against(recon, coarse, labels, args, other))
    for folder in args.against_weights:
        against.update(_against_weights(recon, coarse, labels, args, folder))
    return {
        "mode": args.mode, "frame": f"{rgb.shape[1]}x{rgb.shape[0]}", "threads": args.threads,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        **{k: v for k, v in asdict(recon.sampling).items() if k != "seed"},
        "consistency": recon.consistency, "precision": recon.precision.describe(),
        "frames": args.frames,
        **counted,
        "median_ms": round(1000 * float(np.median(times)), 1),
        "p90_ms": round(1000 * float(np.percentile(times, 90)), 1),
        "params_M": round(sum(p.numel() for p in model.parameters()) / 1e6, 3),
        "peak_rss_MiB": round(_rss_mib(), 1), "rss_before_model_MiB": round(base_rss, 1),
        **batched, **retained, **against, "load_avg": [round(v, 2) for v in os.getloadavg()],
    }


def _against(recon, coarse: np.ndarray, labels: np.ndarray, args: argparse.Namespace,
             other: str) -> dict:
    """The measured path against ``other``: a precision (``spic.diffusion.precision``) or
    ``bf16-autocast`` (float32 weights under bf16 autocast, eager: the path before frozen
    graphs)."""
    import torch

    from spic.reconstruction.scsrdm import ScsrdmReconstructor

    autocast = other == "bf16-autocast"
    alternative = ScsrdmReconstructor(mode=args.mode, weights=args.weights,
                                      precision="float32" if autocast else other)

    def run_other() -> np.ndarray:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            return alternative.reconstruct(coarse, labels, CAMVID11, 4)

    return {f"against_{other}": _interleaved(recon, run_other, other, coarse, labels, args)}


def _against_weights(recon, coarse: np.ndarray, labels: np.ndarray, args: argparse.Namespace,
                     folder: str) -> dict:
    """The measured path against other weights of the same mode, run the same way."""
    from spic.reconstruction.scsrdm import ScsrdmReconstructor

    alternative = ScsrdmReconstructor(mode=args.mode, weights=folder,
                                      precision=recon.precision.name)
    return {f"against_weights_{folder}": _interleaved(
        recon, lambda: alternative.reconstruct(coarse, labels, CAMVID11, 4), "other", coarse,
        labels, args)}


def _interleaved(recon, run_other, label: str, coarse: np.ndarray, labels: np.ndarray,
                 args: argparse.Namespace) -> dict:
    """Median ms of the measured path and ``run_other`` (reported as ``label``), interleaved in
    rounds of 5 frames so that both see the same host, and how far apart their outputs are."""
    paths = {"measured": lambda: recon.reconstruct(coarse, labels, CAMVID11, 4), label: run_other}
    outputs = {key: run() for key, run in paths.items()}  # also the warm-up
    times: dict[str, list[float]] = {key: [] for key in paths}
    for _ in range(max(1, args.frames // 5)):
        for key, run in paths.items():
            for _ in range(5):
                t0 = time.perf_counter()
                run()
                times[key].append(time.perf_counter() - t0)
    diff = np.abs(outputs["measured"].astype(int) - outputs[label]).mean()
    return {"median_ms": {k: round(1000 * float(np.median(v)), 1) for k, v in times.items()},
            "frames_each": len(times["measured"]), "mean_abs_diff_grey_levels": round(float(diff), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("fast", "quality"), default="fast")
    parser.add_argument("--weights", help="model folder (default: the mode's embedded weights)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1,
                        help="also time N frames per batched pass (reconstruct_batch; ms per frame)")
    parser.add_argument("--steps", type=int, help="default: the mode's (as the options below)")
    parser.add_argument("--guidance", type=float)
    parser.add_argument("--eta", type=float)
    parser.add_argument("--consistency", choices=("none", "project"), default="none")
    parser.add_argument("--large", metavar="WxH",
                        help="then one frame of this size and 3 more of the usual: the RSS kept")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="how the U-Net runs (spic.diffusion.precision; auto: the fastest "
                             "way on this CPU)")
    parser.add_argument("--against", action="append", default=[],
                        choices=[*PRECISIONS[1:], "bf16-autocast"],
                        help="also time this way, interleaved (repeatable; bf16-autocast: the "
                             "path before frozen graphs)")
    parser.add_argument("--against-weights", action="append", default=[], metavar="DIR",
                        help="also time the mode with these weights, the same precision, "
                             "interleaved (repeatable)")
    args = parser.parse_args(argv)
    print(json.dumps(speed(args), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

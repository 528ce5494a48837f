"""SCSRDM benchmarks: ``speed`` (seconds per frame, peak memory) and ``quality`` (acceptance).

    .venv/bin/python benchmarks/bench_scsrdm.py speed [--threads 2 --frames 3]
    .venv/bin/python benchmarks/bench_scsrdm.py quality --limit 101 --out runs/scsrdm_eval \
        --config paper:20:1.0:ddpm --bpg-q 43 44 45

``quality`` codes CamVid val frames with the run-time coarse path (BPG q35 at 1/4, or the
codec given), uses the ground-truth SSM (rate: FLIF), and scores SCSRDM configurations,
bicubic from the same coarse image, full-resolution BPG and the originals with the two
judges (mIoU against the CamVid labels), LPIPS (AlexNet) and PSNR. Per-frame records are
appended to ``OUT/records.jsonl`` (a rerun skips what is done); ``OUT/summary.json`` holds
the split-level numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path

import spic  # noqa: F401  (first: sets OpenMP's wait policy before torch loads)
import numpy as np
import torch

from spic.diffusion.pipeline import cpu_has_native_bf16

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def speed(args: argparse.Namespace) -> int:
    """Seconds per 480x360 frame for ``--steps`` steps; the U-Net's share; peak RSS."""
    from spic.datasets import camvid_samples, read_labels, read_rgb
    from spic.image_ops import area_downscale
    from spic.labelsets import CAMVID11
    from spic.reconstruction.scsrdm import ScsrdmReconstructor

    torch.set_num_threads(args.threads)
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
    options = {k: v for k, v in (("steps", args.steps), ("start", args.start),
                                  ("sampler", args.sampler), ("guidance_scale", args.guidance),
                                  ("eta", args.eta)) if v is not None}
    recon = ScsrdmReconstructor(bf16=args.bf16 == "on", **options)
    model = recon.pipeline.model
    unet_seconds = []
    model.register_forward_pre_hook(lambda m, a: unet_seconds.append(-time.perf_counter()))
    model.register_forward_hook(lambda m, a, o: unet_seconds.append(time.perf_counter()))
    recon.reconstruct(coarse, labels, CAMVID11, 4)  # warm-up
    times = []
    for _ in range(args.frames):
        unet_seconds.clear()
        t0 = time.perf_counter()
        recon.reconstruct(coarse, labels, CAMVID11, 4)
        times.append(time.perf_counter() - t0)
    unet = sum(unet_seconds)
    result = {
        "frame": f"{rgb.shape[1]}x{rgb.shape[0]}", "threads": args.threads,
        **{k: v for k, v in asdict(recon.sampling).items() if k != "seed"},
        "bf16": recon.pipeline.bf16,
        "seconds_per_frame": round(float(np.median(times)), 3),
        "unet_share": round(unet / times[-1], 3),
        "unet_seconds_per_pass": round(unet / max(1, len(unet_seconds) // 2), 4),
        "params_M": round(sum(p.numel() for p in model.parameters()) / 1e6, 3),
        "peak_rss_MiB": round(_rss_mib(), 1), "rss_before_model_MiB": round(base_rss, 1),
        "load_avg": [round(v, 2) for v in os.getloadavg()],
    }
    print(json.dumps(result, indent=2))
    return 0


def _parse_config(text: str) -> dict:
    """``START:STEPS:GUIDANCE[:SAMPLER[:T_START[:ETA]]]`` -> SamplingConfig fields."""
    parts = text.split(":")
    if not 3 <= len(parts) <= 6:
        raise ValueError(f"bad config {text!r}: START:STEPS:GUIDANCE[:SAMPLER[:T_START[:ETA]]]")
    start, steps, guidance, sampler, t_start, eta = parts + ["ddpm", "192", "0"][len(parts) - 3:]
    return {"start": start, "num_steps": int(steps), "guidance_scale": float(guidance),
            "sampler": sampler, "t_start": int(t_start), "eta": float(eta)}


def quality(args: argparse.Namespace) -> int:
    """The acceptance evaluation (see the module docstring)."""
    from spic.codecs import create_codec
    from spic.diffusion.data import CoarseSpec, dataset_frames, make_coarse
    from spic.diffusion.pipeline import SamplingConfig, SCSRDMPipeline
    from spic.diffusion.checkpoint import load_model
    from spic.diffusion.schedulers import NoiseSchedule
    from spic.eval.confusion import ConfusionMatrix
    from spic.eval.judge import Judge
    from spic.eval.lpips import Lpips
    from spic.eval.psnr import psnr
    from spic.reconstruction.scsrdm import DEFAULT_WEIGHTS

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    spec = CoarseSpec(args.coarse_codec, args.coarse_quality, 4)
    frames = dataset_frames(f"camvid:{SHARED / 'data' / 'camvid'}", "val", spec,
                            REPO / ".cache" / "scsrdm", limit=args.limit)
    judges = {
        "espnetv2": Judge(SHARED / "models" / "espnetv2_cityscapes.onnx", "camvid11",
                          input_size=(1024, 512), threads=args.threads),
        "espnet_camvid": Judge(SHARED / "models" / "espnet_camvid.onnx", "camvid11",
                               input_size=(480, 360), threads=args.threads),
    }
    lpips = Lpips("alex")
    weights = Path(args.weights or DEFAULT_WEIGHTS)
    model, card = load_model(weights)
    pipe = SCSRDMPipeline(model, NoiseSchedule(card.schedule), bf16=args.bf16 == "on")
    ssm_codec = create_codec("flif")
    coarse_codec = create_codec(spec.codec, quality=spec.quality)
    records_path = out / "records.jsonl"
    done = set()
    if records_path.exists():
        done = {(r["method"], r["frame"]) for r in map(json.loads, records_path.read_text().splitlines())}

    methods: dict[str, object] = {}
    if not args.skip_baselines:
        methods.update({"original": None, "bicubic": None})
        for q in args.bpg_q:
            methods[f"bpg-q{q}"] = create_codec("bpg", quality=q)
    for text in args.config:
        c = _parse_config(text)
        name = f"scsrdm-{c['start']}-{c['num_steps']}-g{c['guidance_scale']:g}-{c['sampler']}"
        if c["t_start"] != 192:
            name += f"-t{c['t_start']}"
        if c["eta"]:
            name += f"-eta{c['eta']:g}"
        methods[name] = SamplingConfig(seed=0, **c)
    pixels = 480 * 360
    tag = f"step{card.info.get('step')}" + ("-bf16" if pipe.bf16 else "")
    with records_path.open("a") as log:
        for i, f in enumerate(frames):
            ssm_bytes = len(ssm_codec.encode(f.labels))
            coarse_bytes = make_coarse(f.rgb, spec, coarse_codec)[1]
            ref_features = lpips.features(f.rgb)
            for name, method in methods.items():
                key = name if not name.startswith("scsrdm") else f"{name}@{tag}"
                if (key, f.name) in done:
                    continue
                t0 = time.perf_counter()
                if name == "original":
                    rgb, nbytes = f.rgb, 0
                elif name == "bicubic":
                    rgb, nbytes = f.coarse_up, coarse_bytes
                elif name.startswith("bpg"):
                    data = method.encode(f.rgb)
                    rgb, nbytes = method.decode(data), len(data)
                else:
                    rgb, nbytes = pipe(f.coarse_up, f.labels, method), ssm_bytes + coarse_bytes
                seconds = time.perf_counter() - t0
                record = {"method": key, "frame": f.name, "bpp": 8 * nbytes / pixels,
                          "seconds": seconds, "psnr": psnr(rgb, f.rgb),
                          "lpips": lpips.distance_from_features(lpips.features(rgb), ref_features)}
                for jname, judge in judges.items():
                    cm = ConfusionMatrix(11).update(f.labels, judge.segment(rgb))
                    record[f"cm_{jname}"] = cm.counts.tolist()
                log.write(json.dumps(record) + "\n")
                log.flush()
            print(f"[{i + 1}/{len(frames)}] {f.name}", file=sys.stderr, flush=True)
    summary = summarize(records_path, {f.name for f in frames})
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


def summarize(records_path: Path, frame_names: set[str]) -> dict:
    """Split-level numbers per method over ``frame_names`` (confusions summed, then mIoU)."""
    from spic.eval.confusion import ConfusionMatrix

    by_method: dict[str, list[dict]] = {}
    for r in map(json.loads, records_path.read_text().splitlines()):
        if r["frame"] in frame_names:
            by_method.setdefault(r["method"], []).append(r)
    summary = {}
    for name, recs in sorted(by_method.items()):
        row = {"frames": len(recs)}
        for key in ("bpp", "psnr", "lpips", "seconds"):
            row[key] = round(float(np.mean([r[key] for r in recs])), 4)
        for judge in ("espnetv2", "espnet_camvid"):
            cm = ConfusionMatrix(11, np.sum([r[f"cm_{judge}"] for r in recs], axis=0))
            row[f"miou_{judge}"] = round(100 * cm.mean_iou(), 2)
        summary[name] = row
    return summary


BF16_OPTION = dict(choices=("auto", "on", "off"), default="auto",
                   help="bfloat16 autocast for the U-Net (auto: where the CPU has native bf16, "
                        "as the reconstructor does)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("speed", help="seconds per frame and peak memory")
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--frames", type=int, default=3)
    s.add_argument("--steps", type=int, help="default: the reconstructor's (as all below)")
    s.add_argument("--start")
    s.add_argument("--sampler")
    s.add_argument("--guidance", type=float)
    s.add_argument("--eta", type=float)
    s.add_argument("--bf16", **BF16_OPTION)
    q = sub.add_parser("quality", help="acceptance evaluation on CamVid val")
    q.add_argument("--limit", type=int, default=101, help="frames (evenly spread over val)")
    q.add_argument("--out", default="runs/scsrdm_eval")
    q.add_argument("--weights", help="model folder (default: the embedded weights)")
    q.add_argument("--config", action="append", default=[],
                   help="SCSRDM START:STEPS:GUIDANCE[:SAMPLER[:T_START[:ETA]]], repeatable "
                        "(none: baselines only)")
    q.add_argument("--bpg-q", type=int, nargs="*", default=[43, 44, 45])
    q.add_argument("--coarse-codec", default="bpg")
    q.add_argument("--coarse-quality", type=int, default=35)
    q.add_argument("--threads", type=int, default=1)
    q.add_argument("--bf16", **BF16_OPTION)
    q.add_argument("--skip-baselines", action="store_true",
                   help="only the SCSRDM configurations (originals, bicubic, BPG left out)")
    args = parser.parse_args(argv)
    if args.bf16 == "auto":
        args.bf16 = "on" if cpu_has_native_bf16() else "off"
    return speed(args) if args.command == "speed" else quality(args)


if __name__ == "__main__":
    raise SystemExit(main())

"""Latency and peak memory of segmenter backends on 480x360 frames.

Each backend runs in its own process (clean peak RSS), batch 1, after warm-up:

    .venv/bin/python benchmarks/bench_segmenter.py --threads 2 --runs 50 \
        --backend spic --backend spic-torch \
        --backend onnx=../shared/models/espnet_camvid.onnx --json out/bench_segmenter.json

``spic`` is the embedded SpicSegNet on its default runtime (onnxruntime), ``spic-torch`` the
same weights on PyTorch. Frames are CamVid val images when ../shared is present, else random.
The machine's load average is recorded beside the numbers (shared CPUs make them noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CAMVID_VAL = REPO.parent / "shared" / "data" / "camvid" / "val"


def frames(count: int, width: int, height: int) -> list[np.ndarray]:
    import cv2

    from spic.datasets import read_rgb

    paths = sorted(CAMVID_VAL.glob("*.png"))[:count]
    if paths:
        return [cv2.resize(read_rgb(p), (width, height), interpolation=cv2.INTER_AREA)
                if (width, height) != (480, 360) else read_rgb(p) for p in paths]
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (height, width, 3), np.uint8) for _ in range(count)]


def worker(backend: str, threads: int, runs: int, width: int, height: int) -> dict:
    """Time ``segment()`` of one backend in this process; returns the statistics."""
    from spic.segmentation import create_segmenter

    name, _, model = backend.partition("=")
    options = {"threads": threads}
    if name == "spic-torch":
        name, options["runtime"] = "spic", "torch"
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seg = create_segmenter(name, model=model or None, **options)
    images = frames(8, width, height)
    for image in images[:3]:
        seg.segment(image)
    times, cpu = [], []
    for i in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        seg.segment(images[i % len(images)])
        times.append(1000 * (time.perf_counter() - start))
        cpu.append(1000 * (time.process_time() - start_cpu))
    ms = np.asarray(times)
    return {"backend": backend, "threads": threads, "size": f"{width}x{height}", "runs": runs,
            "median_ms": round(float(np.median(ms)), 2), "min_ms": round(float(ms.min()), 2),
            "p90_ms": round(float(np.percentile(ms, 90)), 2),
            "cpu_ms_median": round(float(np.median(cpu)), 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rss_before_model_mb": round(rss_before / 1024, 1),
            "loadavg_1min": round(os.getloadavg()[0], 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", action="append",
                        help="spic[=WEIGHTS], spic-torch[=WEIGHTS] or onnx=MODEL.onnx (repeatable)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--size", type=int, nargs=2, default=(480, 360), metavar=("W", "H"))
    parser.add_argument("--json", type=Path, help="write all results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads, args.runs, *args.size)))
        return 0
    results = []
    for backend in args.backend or ["spic", "spic-torch"]:
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        out = subprocess.run([sys.executable, __file__, "--worker", backend, "--threads",
                              str(args.threads), "--runs", str(args.runs), "--size",
                              *map(str, args.size)], capture_output=True, text=True, env=env)
        if out.returncode:
            sys.stderr.write(out.stderr)
            return out.returncode
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = results[-1]
        print(f"{backend:<40} median {r['median_ms']:7.2f} ms  min {r['min_ms']:7.2f}  "
              f"p90 {r['p90_ms']:7.2f}  CPU {r['cpu_ms_median']:7.2f}  peak RSS {r['peak_rss_mb']:.0f} MB  "
              f"({r['threads']} threads, {r['size']}, load {r['loadavg_1min']})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

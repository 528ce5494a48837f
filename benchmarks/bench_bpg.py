"""Benchmark the ``bpg`` codec: speed (median of N runs) and rate-quality against the real
bpgenc points in ../shared/golden.

    .venv/bin/python benchmarks/bench_bpg.py [--runs 20] [--threads 2] [--json out.json]

Prints a table and, with ``--json``, writes CompressAI-style results. Timings on a shared
machine are noisy: the load average is printed beside them, and CPU time (which load
barely changes) is reported next to wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from spic.codecs import create_codec
from spic.eval.psnr import psnr

GOLDEN = Path(__file__).resolve().parents[1].parent / "shared" / "golden"
QUALITIES = list(range(24, 51))


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def _timed(func, runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``func()`` over ``runs`` calls (after a warm-up)."""
    func()
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return 1e3 * statistics.median(wall), 1e3 * statistics.median(cpu)


def speed(runs: int, threads: int) -> list[dict]:
    """Encode/decode timings at 120x90 (coarse) and 480x360 (full CamVid frame)."""
    results = []
    for pattern in ("*coarse120x90.png", "*rgb480x360.png"):
        image = _rgb(sorted((GOLDEN / "src").glob(pattern))[0])
        codec = create_codec("bpg", quality=35, threads=threads)
        data = codec.encode(image)
        enc_wall, enc_cpu = _timed(lambda: codec.encode(image), runs)
        dec_wall, dec_cpu = _timed(lambda: codec.decode(data), runs)
        results.append({"size": f"{image.shape[1]}x{image.shape[0]}", "bytes": len(data),
                        "encode_ms": enc_wall, "encode_cpu_ms": enc_cpu,
                        "decode_ms": dec_wall, "decode_cpu_ms": dec_cpu,
                        "runs": runs, "threads": threads, "load": os.getloadavg()[0]})
    return results


def rate_quality(chroma: str) -> list[dict]:
    """Per coarse image: our curve, bpgenc's points and the bytes we need at bpgenc-q35 PSNR."""
    results = []
    for source in sorted((GOLDEN / "src").glob("*coarse120x90.png")):
        image = _rgb(source)
        stem = source.name.split("_coarse")[0]
        golden = {}
        for q in (28, 35, 45):
            path = GOLDEN / "bpg" / f"{stem}_coarse.q{q}.{chroma}.bpg"
            decoded = _rgb(path.with_name(path.stem + ".bpgdec.png"))
            golden[q] = {"bytes": path.stat().st_size, "psnr": psnr(decoded, image)}
        curve = []
        for q in QUALITIES:
            codec = create_codec("bpg", quality=q, chroma=chroma)
            data = codec.encode(image)
            curve.append({"q": q, "bytes": len(data), "psnr": psnr(codec.decode(data), image)})
        by_psnr = sorted(curve, key=lambda p: p["psnr"])
        needed = float(np.exp(np.interp(golden[35]["psnr"], [p["psnr"] for p in by_psnr],
                                        [np.log(p["bytes"]) for p in by_psnr])))
        results.append({"image": stem, "chroma": chroma, "bpgenc": golden, "ours": curve,
                        "bytes_at_bpgenc_q35_psnr": needed,
                        "ratio": needed / golden[35]["bytes"]})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-rd", action="store_true", help="timings only")
    args = parser.parse_args()
    if not GOLDEN.exists():
        raise SystemExit(f"golden files not found at {GOLDEN}")
    report = {"codec": "bpg", "speed": speed(args.runs, args.threads)}
    print(f"load average {os.getloadavg()}")
    for row in report["speed"]:
        print(f"{row['size']:>8}: {row['bytes']:6d} B  encode {row['encode_ms']:6.1f} ms "
              f"(cpu {row['encode_cpu_ms']:5.1f})  decode {row['decode_ms']:5.2f} ms "
              f"(cpu {row['decode_cpu_ms']:5.2f})  median of {row['runs']}, "
              f"{row['threads']} threads, load {row['load']:.2f}")
    if not args.skip_rd:
        report["rate_quality"] = rate_quality("420") + rate_quality("444")
        for row in report["rate_quality"]:
            gold = row["bpgenc"][35]
            print(f"{row['image']} {row['chroma']}: bpgenc q35 {gold['bytes']} B "
                  f"{gold['psnr']:.2f} dB, ours {row['bytes_at_bpgenc_q35_psnr']:.0f} B "
                  f"at that PSNR: ratio {row['ratio']:.3f}")
        for chroma in ("420", "444"):
            ratios = [r["ratio"] for r in report["rate_quality"] if r["chroma"] == chroma]
            print(f"{chroma}: mean ratio {np.mean(ratios):.3f}, max {max(ratios):.3f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

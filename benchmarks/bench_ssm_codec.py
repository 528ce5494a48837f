"""Benchmark the SLC label codec against FLIF on semantic maps: intra sizes and speed, inter.

Intra: every CamVid val ground-truth map and the map the shipped segmenter (``spic``)
predicts for each val frame (cached in ``--cache``), both codecs side by side: mean bytes,
median encode/decode wall and CPU ms. Inter: SLC on consecutive frames (CamVid val, 15 Hz:
its labelled frames are every 2nd frame of a 30 fps video; and ``spic.synthetic`` clips,
whose frame step is taken as 1/30 s, at 30, 15 and 10 fps) with a keyframe (intra map)
every N frames, each other frame coded against the previous map::

    .venv/bin/python benchmarks/bench_ssm_codec.py --output runs/bench_ssm_codec.json
    .venv/bin/python benchmarks/bench_ssm_codec.py --limit 10 --no-inter   # quick look

Timings are wall clock (``perf_counter``) and process CPU time (``process_time``); on a
shared machine the CPU times and the load average printed beside them matter.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from spic.codecs import create_codec
from spic.codecs.slc import read_header
from spic.datasets import load_samples, read_labels, read_rgb

REPO = Path(__file__).resolve().parents[1]
#: Keyframe intervals of the sweep; 0 means only the first frame is intra.
INTERVALS = (1, 2, 5, 10, 30, 0)
#: Synthetic frame rates: every k-th frame of the 30 fps clip.
SYNTHETIC_FPS = {30: 1, 15: 2, 10: 3}


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _ms_since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clock()
    return 1000 * (wall - start[0]), 1000 * (cpu - start[1])


def ground_truth(camvid: Path, limit: int) -> list[np.ndarray]:
    samples = load_samples(f"camvid:{camvid}", "val")[: limit or None]
    return [read_labels(s.labels) for s in samples]


def predicted(camvid: Path, limit: int, cache: Path) -> list[np.ndarray]:
    """The ``spic`` segmenter's maps of the val frames, computed once into ``cache``."""
    samples = load_samples(f"camvid:{camvid}", "val")[: limit or None]
    path = cache / f"camvid_val_spic_{len(samples)}.npz"
    if path.exists():
        return list(np.load(path)["maps"])
    from spic.segmentation import SEGMENTERS

    segmenter = SEGMENTERS.create("spic")
    maps = [segmenter.segment(read_rgb(s.image)) for s in samples]
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, maps=np.stack(maps))
    return maps


def intra(maps: list[np.ndarray], name: str, repeats: int) -> dict:
    """Mean size and median times of one codec over the maps (round trips checked)."""
    codec = create_codec(name)
    sizes, times = [], {"encode": [], "decode": []}
    for labels in maps:
        for _ in range(repeats):
            start = _clock()
            data = codec.encode(labels)
            times["encode"].append(_ms_since(start))
            start = _clock()
            decoded = codec.decode(data)
            times["decode"].append(_ms_since(start))
        if not np.array_equal(decoded, labels):
            raise AssertionError(f"{name}: round trip is not exact")
        sizes.append(len(data))
    result = {"mean_bytes": statistics.mean(sizes),
              "mean_bpp": 8 * statistics.mean(sizes) / maps[0].size}
    for step, values in times.items():
        result[f"{step}_ms_median"] = round(statistics.median(w for w, _ in values), 2)
        result[f"{step}_cpu_ms_median"] = round(statistics.median(c for _, c in values), 2)
    result["sizes"] = sizes
    return result


def sequence(frames: list[np.ndarray], interval: int, intra_fallback: bool = True) -> dict:
    """SLC over a sequence with a keyframe every ``interval`` frames (0: the first only)."""
    codec = create_codec("slc", intra_fallback=intra_fallback)
    sizes, coded_inter, encode_ms, decode_ms = [], 0, [], []
    for i, labels in enumerate(frames):
        reference = None if (i % interval == 0 if interval else i == 0) else frames[i - 1]
        start = _clock()
        data = codec.encode(labels, reference=reference)
        encode_ms.append(_ms_since(start)[1])
        start = _clock()
        decoded = codec.decode(data, reference=reference)
        decode_ms.append(_ms_since(start)[1])
        if not np.array_equal(decoded, labels):
            raise AssertionError("slc: inter round trip is not exact")
        sizes.append(len(data))
        coded_inter += read_header(data).inter
    return {"mean_bytes": statistics.mean(sizes), "inter_maps": coded_inter,
            "encode_cpu_ms_median": round(statistics.median(encode_ms), 2),
            "decode_cpu_ms_median": round(statistics.median(decode_ms), 2)}


def sweep(sequences: list[list[np.ndarray]]) -> dict:
    """Keyframe-interval sweep over several sequences, sizes relative to all-intra."""
    rows = {}
    for interval in INTERVALS:
        parts = [sequence(frames, interval) for frames in sequences]
        rows[str(interval or "first-only")] = {
            "mean_bytes": statistics.mean(p["mean_bytes"] for p in parts),
            "inter_maps": sum(p["inter_maps"] for p in parts),
            "encode_cpu_ms_median": statistics.median(p["encode_cpu_ms_median"] for p in parts),
            "decode_cpu_ms_median": statistics.median(p["decode_cpu_ms_median"] for p in parts)}
    pure = [sequence(frames, 0, intra_fallback=False) for frames in sequences]
    rows["first-only, no intra fallback"] = {"mean_bytes": statistics.mean(p["mean_bytes"] for p in pure)}
    base = rows["1"]["mean_bytes"]
    for row in rows.values():
        row["ratio_vs_intra"] = round(row["mean_bytes"] / base, 4)
    return {"frames": sum(len(s) for s in sequences), "intervals": rows}


def synthetic_sequences(frames: int, seeds: int) -> dict[int, list[list[np.ndarray]]]:
    from spic.synthetic import synthetic_clip

    clips = [[f.labels for f in synthetic_clip(frames, seed=seed)] for seed in range(seeds)]
    return {fps: [clip[::step] for clip in clips] for fps, step in SYNTHETIC_FPS.items()}


def run(args: argparse.Namespace) -> dict:
    sets = {"camvid_val_gt": ground_truth(args.camvid, args.limit),
            "camvid_val_predicted": predicted(args.camvid, args.limit, args.cache)}
    result: dict = {"load_average": list(os.getloadavg()), "cpu_count": os.cpu_count(), "intra": {}}
    for set_name, maps in sets.items():
        row = {name: intra(maps, name, args.repeats) for name in ("flif", "slc")}
        row["maps"] = len(maps)
        row["slc_size_ratio_vs_flif"] = round(row["slc"]["mean_bytes"] / row["flif"]["mean_bytes"], 4)
        for step in ("encode", "decode"):
            row[f"slc_{step}_cpu_ratio_vs_flif"] = round(
                row["slc"][f"{step}_cpu_ms_median"] / row["flif"][f"{step}_cpu_ms_median"], 3)
        result["intra"][set_name] = row
    if not args.no_inter:
        result["inter"] = {name: sweep([maps]) for name, maps in sets.items()}
        for fps, clips in synthetic_sequences(args.synthetic_frames, args.synthetic_seeds).items():
            result["inter"][f"synthetic_{fps}fps"] = sweep(clips)
    return result


def _print_table(result: dict) -> None:
    print(f"{'maps':<22}{'codec':<6}{'mean B':>9}{'enc ms':>8}{'dec ms':>8}{'enc cpu':>9}{'dec cpu':>9}")
    for set_name, row in result["intra"].items():
        for name in ("flif", "slc"):
            r = row[name]
            print(f"{set_name:<22}{name:<6}{r['mean_bytes']:>9.1f}{r['encode_ms_median']:>8.2f}"
                  f"{r['decode_ms_median']:>8.2f}{r['encode_cpu_ms_median']:>9.2f}{r['decode_cpu_ms_median']:>9.2f}")
        print(f"{'':<22}slc/flif size {row['slc_size_ratio_vs_flif']:.3f}, encode cpu "
              f"{row['slc_encode_cpu_ratio_vs_flif']:.2f}x, decode cpu {row['slc_decode_cpu_ratio_vs_flif']:.2f}x")
    for set_name, sweep_result in result.get("inter", {}).items():
        cells = ", ".join(f"N={k}: {v['mean_bytes']:.0f} B ({v['ratio_vs_intra']:.3f})"
                          for k, v in sweep_result["intervals"].items())
        print(f"inter {set_name} ({sweep_result['frames']} frames): {cells}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--camvid", type=Path, default=REPO.parent / "shared/data/camvid")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N val frames")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per map")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/spic_bench_ssm"),
                        help="folder for the segmenter's predicted maps")
    parser.add_argument("--no-inter", action="store_true", help="skip the inter sweeps")
    parser.add_argument("--synthetic-frames", type=int, default=61, help="frames per 30 fps synthetic clip")
    parser.add_argument("--synthetic-seeds", type=int, default=3, help="synthetic clips")
    parser.add_argument("--output", type=Path, help="write the results (and per-map sizes) as JSON")
    args = parser.parse_args(argv)
    result = run(args)
    _print_table(result)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2))
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

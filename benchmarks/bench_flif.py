"""Benchmark the native FLIF codec on CamVid label maps.

Prints (and optionally writes as JSON) median encode/decode times over the maps and the
mean size against the reference encoder (flif-wasm ``-N -E100``), plus JPEG XL and PNG
sizes for context::

    .venv/bin/python benchmarks/bench_flif.py --maps ../shared/data/camvid/valannot \
        --output runs/bench_flif.json

``--efforts 0,25,50,75,100`` adds the effort trade-off: mean bytes and median encode time
per ``effort`` (the codec option behind ``ssm_options: {effort: N}``).

Timings are wall clock (``perf_counter``) and process CPU time (``process_time``); on a
shared machine report the load average printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from spic.codecs import create_codec

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from flif_reference import flif_wasm_command, reference_encode  # noqa: E402  (test oracle)


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _median_ms(values: list[float]) -> float:
    return round(1000 * statistics.median(values), 2)


def run(maps: list[Path], repeats: int, reference: bool, others: list[str]) -> dict:
    flif = create_codec("flif")
    sizes, ref_sizes, other_sizes = [], [], {name: [] for name in others}
    enc_wall, enc_cpu, dec_wall, dec_cpu = [], [], [], []
    for path in maps:
        labels = np.array(Image.open(path))
        for _ in range(repeats):
            data, wall, cpu = _timed(flif.encode, labels)
            enc_wall.append(wall)
            enc_cpu.append(cpu)
            decoded, wall, cpu = _timed(flif.decode, data)
            dec_wall.append(wall)
            dec_cpu.append(cpu)
        if not np.array_equal(decoded, labels):
            raise AssertionError(f"{path}: FLIF round trip is not exact")
        sizes.append(len(data))
        if reference:
            ref_sizes.append(len(reference_encode(labels, "-N", "-E100")))
        for name in others:
            other_sizes[name].append(len(create_codec(name).encode(labels)))
    pixels = int(labels.size)
    result = {
        "codec": "flif",
        "maps": len(maps),
        "shape": list(labels.shape),
        "load_average": list(os.getloadavg()),
        "cpu_count": os.cpu_count(),
        "encode_ms_median": _median_ms(enc_wall),
        "decode_ms_median": _median_ms(dec_wall),
        "encode_cpu_ms_median": _median_ms(enc_cpu),
        "decode_cpu_ms_median": _median_ms(dec_cpu),
        "mean_bytes": statistics.mean(sizes),
        "mean_bpp": 8 * statistics.mean(sizes) / pixels,
        "sizes": sizes,
    }
    if ref_sizes:
        result["reference"] = "flif-wasm 1.0.8 (flif 0.3) -N -E100"
        result["reference_mean_bytes"] = statistics.mean(ref_sizes)
        result["size_ratio_vs_reference"] = statistics.mean(sizes) / statistics.mean(ref_sizes)
        result["reference_sizes"] = ref_sizes
    for name, values in other_sizes.items():
        result[f"{name}_mean_bytes"] = statistics.mean(values)
        result[f"{name}_size_ratio"] = statistics.mean(values) / statistics.mean(sizes)
    return result


def effort_sweep(maps: list[Path], efforts: list[int]) -> list[dict]:
    """Mean bytes and median encode/decode ms of FLIF at each effort, on the same maps."""
    rows = []
    labels = [np.array(Image.open(path)) for path in maps]
    for effort in efforts:
        codec = create_codec("flif", effort=effort)
        sizes, enc, dec = [], [], []
        for lab in labels:
            data, wall, _ = _timed(codec.encode, lab)
            _, dec_wall, _ = _timed(codec.decode, data)
            sizes.append(len(data))
            enc.append(wall)
            dec.append(dec_wall)
        rows.append({"effort": effort, "mean_bytes": statistics.mean(sizes),
                     "encode_ms_median": _median_ms(enc), "decode_ms_median": _median_ms(dec)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maps", type=Path, default=REPO.parent / "shared/data/camvid/valannot",
                        help="folder of uint8 label-map PNGs")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N maps")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per map")
    parser.add_argument("--no-reference", action="store_true", help="skip the flif-wasm sizes")
    parser.add_argument("--compare", nargs="*", default=["png", "jxl"], help="other codecs' sizes")
    parser.add_argument("--efforts", help="comma-separated FLIF efforts to sweep (0..100)")
    parser.add_argument("--output", type=Path, help="write the results as JSON")
    args = parser.parse_args(argv)

    maps = sorted(args.maps.glob("*.png"))[: args.limit or None]
    if not maps:
        parser.error(f"no PNG label maps in {args.maps}")
    reference = not args.no_reference
    if reference and flif_wasm_command() is None:
        parser.error("flif-wasm is not installed (npm install --prefix .cache/node flif-wasm@1.0.8); "
                     "or pass --no-reference")
    result = run(maps, args.repeats, reference, args.compare)
    if args.efforts:
        result["effort_sweep"] = effort_sweep(maps, [int(e) for e in args.efforts.split(",")])
    summary = {k: v for k, v in result.items() if not k.endswith("sizes")}
    print(json.dumps(summary, indent=2))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Raw camera frames between two processes over sensor-data QoS, with and without the profile.

    .venv/bin/python benchmarks/bench_large_frames.py
    .venv/bin/python benchmarks/bench_large_frames.py --sizes 1920x1080 --seconds 10

For each size, rgb8 frames at ``--fps`` for ``--seconds`` go from ``spic_bag_play`` to
``spic_bag_record`` (best effort, keep-last 5: a camera driver's QoS), once with the shipped
Fast DDS profile (config/fastdds_large_frames.xml, what the console scripts use) and once with
Fast DDS defaults (``SPIC_FASTDDS_PROFILE=off``). Prints the fraction that arrived.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np


def measure(width: int, height: int, fps: float, seconds: float, profile: bool) -> dict:
    from spic_ros.testing import relay_bag, write_frame_bag

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(3)]
    with tempfile.TemporaryDirectory(prefix="bench_large_frames_") as work:
        stamps = write_frame_bag(Path(work) / "bag", "/bench/image", frames,
                                 int(fps * seconds), fps)
        env = {} if profile else {"SPIC_FASTDDS_PROFILE": "off"}
        received = set(relay_bag(Path(work) / "bag", "/bench/image", Path(work), env=env))
    arrived = len(received & set(stamps))
    return {"size": f"{width}x{height}", "mb_per_frame": round(width * height * 3 / 1e6, 2),
            "profile": "fastdds_large_frames" if profile else "fastdds defaults",
            "published": len(stamps), "arrived": arrived,
            "arrived_pct": round(100 * arrived / len(stamps), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["640x480", "1280x720", "1920x1080"])
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    from spic_ros.testing import isolated_ros_env

    isolated_ros_env()
    rows = [measure(*map(int, size.split("x")), args.fps, args.seconds, profile)
            for size in args.sizes for profile in (True, False)]
    print(json.dumps({"camera_fps": args.fps, "seconds": args.seconds, "rows": rows,
                      "load_avg": [round(v, 2) for v in os.getloadavg()]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

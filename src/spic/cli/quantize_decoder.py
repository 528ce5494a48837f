"""``spic quantize-decoder``: the fast student's int8 onnxruntime graph, shipped in its folder.

    spic quantize-decoder --weights src/spic/weights/scsrdm_fast --camvid ../shared/data/camvid
"""

from __future__ import annotations

import argparse
from pathlib import Path

from spic.cli.eval import DEFAULT_DATA


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--weights", type=Path, required=True,
                        help="the student's folder (config.json + model.safetensors); "
                             "model.int8.onnx and its manifest are written into it")
    parser.add_argument("--camvid", type=Path, default=DEFAULT_DATA,
                        help="CamVid root: calibration frames come from its fit split "
                             "(train minus the selection split)")
    parser.add_argument("--frames", type=int,
                        help="calibration frames (default: spic.diffusion.quantize's)")


def run(args: argparse.Namespace, command: str) -> int:
    from spic.diffusion.quantize import CALIBRATION_FRAMES, write_int8

    frames = CALIBRATION_FRAMES if args.frames is None else args.frames
    if frames < 1:
        raise ValueError("--frames must be >= 1")
    path = write_int8(args.weights, args.camvid, frames)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) and {path.name}.json")
    return 0

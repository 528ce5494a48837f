"""``spic export-segmenter``: SpicSegNet weights -> ONNX + JSON sidecar, or copy a checkpoint."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--weights", type=Path,
                        help="folder with model.safetensors + config.json (default: embedded)")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="MODEL.onnx (sidecar MODEL.json beside it), or a folder with --as-weights")
    parser.add_argument("--as-weights", action="store_true",
                        help="copy the weights (model, config, metrics) into OUTPUT instead, "
                             "ship their ONNX graph (model.onnx, hash-checked at load) and "
                             "write its MODEL_CARD.md, e.g. to refresh src/spic/weights/segmenter "
                             "from a run's best/ (the run folder is the checkpoint's parent)")
    parser.add_argument("--eval-json", type=Path, help="eval-segmenter --json result for the card")
    parser.add_argument("--bench-json", type=Path, help="bench_segmenter.py --json result for the card")


def run(args: argparse.Namespace, command: str) -> int:
    from spic.segmentation.checkpoint import CONFIG_FILE, MODEL_FILE, load_model
    from spic.segmentation.export import export_onnx, write_shipped_onnx
    from spic.segmentation.model_card import render_model_card

    if args.as_weights:
        if args.weights is None:
            raise ValueError("--as-weights needs --weights (a checkpoint folder)")
        load_model(args.weights)  # refuse to copy a broken checkpoint
        args.output.mkdir(parents=True, exist_ok=True)
        for name in (MODEL_FILE, CONFIG_FILE, "metrics.json"):
            if (args.weights / name).exists() and args.weights.resolve() != args.output.resolve():
                shutil.copy2(args.weights / name, args.output / name)
        write_shipped_onnx(args.output)
        evaluation = json.loads(args.eval_json.read_text()) if args.eval_json else None
        bench = json.loads(args.bench_json.read_text()) if args.bench_json else None
        card = render_model_card(args.weights.resolve().parent, args.output, evaluation, bench)
        (args.output / "MODEL_CARD.md").write_text(card)
        print(f"weights and MODEL_CARD.md written to {args.output}")
        return 0
    onnx_path, sidecar = export_onnx(args.output, args.weights)
    print(f"wrote {onnx_path} and {sidecar}")
    return 0

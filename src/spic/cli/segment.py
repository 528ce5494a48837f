"""``spic segment IMAGE -o LABELS.png [--color OVERLAY.png]``: one frame -> label map."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_segmenter_arguments(parser: argparse.ArgumentParser) -> None:
    """Backend selection shared by ``segment`` and ``eval-segmenter``."""
    parser.add_argument("--backend", default="spic", help="segmenter registry name (spic, onnx)")
    parser.add_argument("--model", help="ONNX file (onnx) or weights folder (spic); default: embedded")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for inference")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="extra backend option (repeatable)")


def create_from_args(args: argparse.Namespace):
    from spic.segmentation import create_segmenter

    options = {"threads": args.threads}
    for pair in args.option:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"option {pair!r} is not KEY=VALUE")
        options[key.replace("-", "_")] = int(value) if value.lstrip("-").isdigit() else value
    return create_segmenter(args.backend, model=args.model, **options)


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("image", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True, help="label PNG (8-bit gray)")
    parser.add_argument("--color", type=Path, help="also write a colour overlay PNG")
    parser.add_argument("--alpha", type=float, default=0.5, help="overlay opacity of the labels")
    add_segmenter_arguments(parser)


def run(args: argparse.Namespace, command: str) -> int:
    import numpy as np
    from PIL import Image

    from spic.datasets import read_rgb

    segmenter = create_from_args(args)
    rgb = read_rgb(args.image)
    labels = segmenter.segment(rgb)
    Image.fromarray(labels, mode="L").save(args.output)
    if args.color:
        colours = segmenter.label_set.colorize(labels).astype(np.float32)
        blend = (1 - args.alpha) * rgb.astype(np.float32) + args.alpha * colours
        Image.fromarray(np.clip(blend + 0.5, 0, 255).astype(np.uint8)).save(args.color)
    counts = np.bincount(labels.ravel(), minlength=256)
    names = segmenter.label_set.names
    top = ", ".join(f"{names[i] if i < len(names) else 'void'} {100 * counts[i] / labels.size:.1f}%"
                    for i in np.argsort(counts)[::-1][:5] if counts[i])
    print(f"{args.output}: {labels.shape[1]}x{labels.shape[0]} {segmenter.label_set.id} ({top})")
    return 0

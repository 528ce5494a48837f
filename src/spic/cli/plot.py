"""``spic plot DIR``: rate-distortion plots and a contact sheet from ``spic eval`` results."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("results", type=Path, help="a spic eval --out folder")
    parser.add_argument("--out", type=Path, help="where to write PNGs (default RESULTS/plots)")
    parser.add_argument("--frame", help="frame of the contact sheet (default: first saved)")
    parser.add_argument("--crop", help="contact-sheet crop X,Y,W,H in pixels")
    parser.add_argument("--target-bpp", type=float,
                        help="contact sheet: each method's point closest to this rate")
    parser.add_argument("--markdown", type=Path, help="also write a Markdown results table")


def _crop(text: str | None) -> tuple[int, int, int, int] | None:
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 4 or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"--crop must be X,Y,W,H (non-negative integers), got {text!r}")
    x, y, w, h = (int(p) for p in parts)
    return x, y, w, h


def run(args: argparse.Namespace, command: str) -> int:
    import json

    from spic.eval.plots import plot_all
    from spic.eval.report import markdown_table
    from spic.eval.results import load_summaries

    for path in plot_all(args.results, args.out, args.frame, _crop(args.crop), args.target_bpp):
        print(path)
    if args.markdown:
        ref = args.results / "reference.json"
        reference = json.loads(ref.read_text()) if ref.exists() else None
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown_table(load_summaries(args.results), reference))
        print(args.markdown)
    return 0

"""Contact sheet of crops from ``spic eval --save-recon`` output: one row per crop, one column
per method (e.g. original | rate-matched BPG | SCSRDM quality | SCSRDM fast).

    .venv/bin/python tools/contact_sheet.py EVAL_DIR --data camvid:../shared/data/camvid \
        --split val --column original=original --column "BPG=bpg/match_spic-fast@q35" \
        --column "quality=spic-quality/q35" --column "fast=spic-fast/q35" --out sheet.png

Crops are chosen from the ground-truth maps of the saved frames, one per subject: the
window with the largest share of cars, pedestrians, sky, and road (lane markings).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

#: subject -> CamVid-11 class ids it looks for
SUBJECTS = {"cars": (8,), "pedestrians": (9, 10), "sky": (0,), "road / lane markings": (3,)}


def best_window(labels: np.ndarray, classes: tuple[int, ...], size: tuple[int, int],
                stride: int = 20) -> tuple[float, int, int]:
    """(share, x, y) of the ``size`` window with the largest share of ``classes``."""
    w, h = size
    mask = np.isin(labels, classes).astype(np.float64)
    integral = np.pad(mask.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    best = (-1.0, 0, 0)
    for y in range(0, labels.shape[0] - h + 1, stride):
        for x in range(0, labels.shape[1] - w + 1, stride):
            s = integral[y + h, x + w] - integral[y, x + w] - integral[y + h, x] + integral[y, x]
            best = max(best, (s / (w * h), x, y))
    return best


def main(argv: list[str] | None = None) -> int:
    from spic.datasets import load_samples, read_labels
    from spic.eval.results import safe_name

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eval_dir", type=Path)
    parser.add_argument("--data", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--column", action="append", required=True, metavar="TITLE=METHOD/POINT",
                        help="repeatable; METHOD/POINT under EVAL_DIR/recon ('original' alone "
                        "for the originals)")
    parser.add_argument("--crop", default="192x144", help="crop WIDTHxHEIGHT")
    parser.add_argument("--scale", type=int, default=2, help="pixel repeat of each crop")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    cw, ch = (int(v) for v in args.crop.split("x"))
    columns = [c.partition("=")[::2] for c in args.column]
    samples = {s.name: s for s in load_samples(args.data, args.split)}
    saved = sorted(p.stem for p in (args.eval_dir / "recon" / "original").glob("*.png"))
    if not saved:
        raise SystemExit(f"no saved originals in {args.eval_dir / 'recon' / 'original'}")
    rows = []
    for subject, classes in SUBJECTS.items():
        candidates = []
        for frame in saved:
            share, x, y = best_window(read_labels(samples[frame].labels), classes, (cw, ch))
            candidates.append((share, frame, x, y))
        share, name, x, y = max(candidates)
        tiles = []
        for _, source in columns:
            path = args.eval_dir / "recon" / Path(*[safe_name(p) for p in source.split("/")])
            with Image.open(path / f"{safe_name(name)}.png") as img:
                crop = img.convert("RGB").crop((x, y, x + cw, y + ch))
            tiles.append(crop.resize((cw * args.scale, ch * args.scale), Image.NEAREST))
        rows.append((f"{subject}: {name} ({share:.0%})", tiles))
    pad, text_h = 4, 14
    width = len(columns) * (cw * args.scale + pad) + pad
    height = text_h + len(rows) * (ch * args.scale + text_h + pad) + pad
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (title, _) in enumerate(columns):
        draw.text((pad + i * (cw * args.scale + pad), 1), title, fill="black")
    y0 = text_h
    for caption, tiles in rows:
        draw.text((pad, y0), caption, fill="black")
        for i, tile in enumerate(tiles):
            sheet.paste(tile, (pad + i * (cw * args.scale + pad), y0 + text_h))
        y0 += ch * args.scale + text_h + pad
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Measure the artefacts people see in reconstructions, against the original frames.

    .venv/bin/python tools/artefact_probe.py ~/.cache/spic/eval/val-gt \
        --data camvid:../shared/data/camvid --split val \
        --column "BPG rate-matched=bpg/match:spic-fast@q35" --column "fast=spic-fast/q35" \
        --json docs/results/artefacts.json

On the saved reconstructions of a ``spic eval`` run folder (``recon/<method>/<point>/``):

- **grid**: a pattern repeating every 4 pixels (the U-Net's pixel-shuffle period). The
  high-pass luma (luma minus its 5x5 box blur) is averaged per position modulo 4 in each
  axis; the spread (std) of these 16 phase means, in grey levels. Natural images and
  codecs without a 4x4 structure stay near 0.
- **outline**: luma change (output minus original) on class boundaries of the map minus the
  change inside regions (>= 3 px from a boundary), grey levels; negative = dark outlines.
- **colour cast**: per class present, the distance between the output's and the original's
  mean chroma (Cb, Cr), averaged over classes, grey levels.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from spic.datasets import load_samples, read_labels
from spic.eval.results import safe_name

PERIOD = 4


def _ycbcr(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("YCbCr"), np.float64)


def box_blur(image: np.ndarray, radius: int = 2) -> np.ndarray:
    """Mean over a (2r+1)^2 window (edges replicated), by cumulative sums."""
    k = 2 * radius + 1
    padded = np.pad(image, radius, mode="edge")
    c = np.cumsum(np.cumsum(padded, 0), 1)
    c = np.pad(c, ((1, 0), (1, 0)))
    return (c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]) / (k * k)


def grid_strength(luma: np.ndarray) -> float:
    """Std of the 16 mean high-pass values at each position modulo 4 (grey levels)."""
    high = luma - box_blur(luma)
    phases = [high[i::PERIOD, j::PERIOD].mean() for i in range(PERIOD) for j in range(PERIOD)]
    return float(np.std(phases))


def boundaries(labels: np.ndarray, width: int = 0) -> np.ndarray:
    """Pixels whose 4-neighbourhood holds another label, grown by ``width`` pixels."""
    edge = np.zeros(labels.shape, bool)
    edge[1:, :] |= labels[1:, :] != labels[:-1, :]
    edge[:-1, :] |= labels[:-1, :] != labels[1:, :]
    edge[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    edge[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    for _ in range(width):
        grown = edge.copy()
        grown[1:] |= edge[:-1]
        grown[:-1] |= edge[1:]
        grown[:, 1:] |= edge[:, :-1]
        grown[:, :-1] |= edge[:, 1:]
        edge = grown
    return edge


def frame_artefacts(original: np.ndarray, output: np.ndarray, labels: np.ndarray) -> dict:
    yo, yr = _ycbcr(original), _ycbcr(output)
    change = yr[..., 0] - yo[..., 0]
    edge, near = boundaries(labels), boundaries(labels, 3)
    casts = [np.hypot(*(yr[mask, 1:].mean(0) - yo[mask, 1:].mean(0)))
             for c in np.unique(labels) if c < 11 and (mask := labels == c).sum() > 500]
    return {"grid": grid_strength(yr[..., 0]),
            "outline": float(change[edge].mean() - change[~near].mean()),
            "colour_cast": float(np.mean(casts)) if casts else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--data", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--column", action="append", required=True, metavar="TITLE=METHOD/POINT")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    samples = {s.name: s for s in load_samples(args.data, args.split)}
    originals = sorted((args.run / "recon" / "original").glob("*.png"))
    columns = [("original", None)] + [tuple(c.split("=", 1)) for c in args.column]
    table: dict[str, dict] = {}
    for title, spec in columns:
        rows = []
        for path in originals:
            sample = next(s for name, s in samples.items() if safe_name(name) == path.stem)
            original = np.array(Image.open(path).convert("RGB"))
            if spec is None:
                output = original
            else:
                method, _, point = spec.partition("/")
                output = np.array(Image.open(args.run / "recon" / safe_name(method)
                                             / safe_name(point) / path.name).convert("RGB"))
            rows.append(frame_artefacts(original, output, read_labels(sample.labels)))
        table[title] = {key: float(np.mean([r[key] for r in rows if r[key] is not None]))
                        for key in rows[0]} | {"frames": len(rows), "source": spec}
    print(f"{'':28s} {'grid':>8s} {'outline':>8s} {'cast':>8s}")
    for title, row in table.items():
        print(f"{title:28s} {row['grid']:8.3f} {row['outline']:8.2f} {row['colour_cast']:8.2f}")
    if args.json:
        args.json.write_text(json.dumps({"run": str(args.run), "split": args.split,
                                         "metrics": table}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

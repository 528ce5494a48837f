"""Rate-distortion plots and contact sheets from a ``spic eval`` output folder (matplotlib)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from spic.eval.results import load_summaries, safe_name

#: metric key -> (axis label, higher is better)
RD_METRICS: dict[str, tuple[str, bool]] = {
    "miou_labels": ("judge mIoU vs. dataset labels", True),
    "miou_judge": ("judge mIoU vs. judge map of the original", True),
    "psnr": ("PSNR (dB)", True),
    "lpips_alex": ("LPIPS-Alex", False),
    "lpips_vgg": ("LPIPS-VGG", False),
    "fid_inception": ("FID (Inception, pytorch-fid)", False),
    "fid_vgg16": ("non-standard FID (VGG16 features)", False),
}

SPIC_STYLE = {"color": "tab:red", "marker": "*", "markersize": 14, "zorder": 5}


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _series(summary: dict, metric: str, matched: bool) -> tuple[list[float], list[float]]:
    res = summary["results"]
    xs, ys = [], []
    for point, x, y in zip(res["point"], res.get("bpp", []), res.get(metric, [])):
        if x is None or y is None or point.startswith("match:") != matched:
            continue
        xs.append(x)
        ys.append(y)
    order = np.argsort(xs)
    return [xs[i] for i in order], [ys[i] for i in order]


def rd_plot(summaries: list[dict], metric: str, path: Path,
            reference: float | None = None) -> bool:
    """One curve per method of ``metric`` vs. total bpp; False when no method has it."""
    label, _ = RD_METRICS[metric]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 3.8), dpi=100)
    drawn = False
    for summary in summaries:
        xs, ys = _series(summary, metric, matched=False)
        mx, my = _series(summary, metric, matched=True)
        if not xs and not mx:
            continue
        drawn = True
        name = summary["name"]
        if name.startswith("spic"):
            style = SPIC_STYLE if name == "spic" else {**SPIC_STYLE, "color": None}
            line, = ax.plot(xs, ys, linestyle="-", label=name, **style)
        else:
            line, = ax.plot(xs, ys, marker="o", markersize=4, label=name)
        if mx:
            ax.plot(mx, my, linestyle="none", marker="D", markerfacecolor="none",
                    color=line.get_color(), label=f"{name} (rate-matched)")
    if not drawn:
        plt.close(fig)
        return False
    if reference is not None:
        ax.axhline(reference, color="gray", linestyle="--", linewidth=1,
                   label="judge on originals")
    finish_rd_figure(fig, ax, label, path)
    return True


def finish_rd_figure(fig, ax, label: str, path: Path) -> None:
    """Log-rate x axis, labels, grid and legend; save ``fig`` to ``path`` and close it."""
    ax.set_xscale("log")
    ax.set_xlabel("bits per pixel (total)")
    ax.set_ylabel(label)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    pyplot().close(fig)


def _closest_point(summary: dict, target_bpp: float) -> str | None:
    res = summary["results"]
    candidates = [(abs(b - target_bpp), p) for p, b in zip(res["point"], res["bpp"])
                  if b is not None and not p.startswith("match:")]
    return min(candidates)[1] if candidates else None


def contact_sheet(out_dir: Path, summaries: list[dict], path: Path, frame: str | None = None,
                  crop: tuple[int, int, int, int] | None = None,
                  target_bpp: float | None = None) -> bool:
    """The same crop of one frame across methods, each at its point closest to ``target_bpp``
    (default: the lowest rate of ``spic``, else of another ``spic*`` variant, else the median
    rate of all points)."""
    recon = Path(out_dir) / "recon"
    originals = sorted((recon / "original").glob("*.png")) if recon.exists() else []
    if not originals:
        return False
    original = recon / "original" / f"{safe_name(frame)}.png" if frame else originals[0]
    if not original.exists():
        raise ValueError(f"no saved reconstructions of frame {frame!r} in {recon}")
    if target_bpp is None:
        spic = next((s for s in summaries if s["name"] == "spic"),
                    next((s for s in summaries if s["name"].startswith("spic")), None))
        rates = [b for s in ([spic] if spic else summaries) for b in s["results"]["bpp"] if b]
        target_bpp = min(rates) if spic and rates else float(np.median(rates)) if rates else 0.1
    tiles = [("original", np.asarray(Image.open(original).convert("RGB")))]
    for summary in summaries:
        point = _closest_point(summary, target_bpp)
        file = recon / safe_name(summary["name"]) / safe_name(point or "") / original.name
        if point and file.exists():
            i = summary["results"]["point"].index(point)
            bpp = summary["results"]["bpp"][i]
            tiles.append((f"{summary['name']} {point}\n{bpp:.3f} bpp (mean)",
                          np.asarray(Image.open(file).convert("RGB"))))
    h, w = tiles[0][1].shape[:2]
    x, y, cw, ch = crop or (w // 4, h // 3, w // 2, h // 2)
    if not (0 <= x < w and 0 <= y < h and cw > 0 and ch > 0):
        raise ValueError(f"crop {crop} is outside the {w}x{h} frame")
    plt = pyplot()
    cols = min(3, len(tiles))
    rows = -(-len(tiles) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), dpi=90,
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (title, image) in zip(axes.ravel(), tiles):
        ax.imshow(image[y: y + ch, x: x + cw])
        ax.set_title(title, fontsize=8)
    fig.suptitle(f"{original.stem}, crop {cw}x{ch} at ({x},{y}), target {target_bpp:.3f} bpp",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def plot_all(out_dir: Path, plot_dir: Path | None = None, frame: str | None = None,
             crop: tuple[int, int, int, int] | None = None,
             target_bpp: float | None = None) -> list[Path]:
    """Every RD plot the results support, plus the contact sheet; returns written files."""
    out_dir = Path(out_dir)
    plot_dir = Path(plot_dir or out_dir / "plots")
    plot_dir.mkdir(parents=True, exist_ok=True)
    summaries = load_summaries(out_dir)
    if not summaries:
        raise ValueError(f"no eval results (*.json with 'results') in {out_dir}")
    summaries.sort(key=lambda s: (not s["name"].startswith("spic"), s["name"]))
    reference = None
    ref_file = out_dir / "reference.json"
    if ref_file.exists():
        reference = json.loads(ref_file.read_text()).get("miou_labels_of_originals")
    written = []
    for metric in RD_METRICS:
        path = plot_dir / f"{metric}_vs_bpp.png"
        if rd_plot(summaries, metric, path, reference if metric == "miou_labels" else None):
            written.append(path)
    sheet = plot_dir / "contact_sheet.png"
    if contact_sheet(out_dir, summaries, sheet, frame, crop, target_bpp):
        written.append(sheet)
    return written

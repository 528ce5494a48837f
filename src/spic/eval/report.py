"""A Markdown summary table of ``spic eval`` results (for docs/results)."""

from __future__ import annotations

COLUMNS = (("bpp", "bpp", 4), ("bpp_ssm", "SSM bpp", 4), ("miou_labels", "mIoU (labels)", 3),
           ("miou_judge", "mIoU (judge)", 3), ("psnr", "PSNR dB", 2),
           ("lpips_alex", "LPIPS-Alex", 3), ("lpips_vgg", "LPIPS-VGG", 3),
           ("fid_inception", "FID", 1), ("fid_vgg16", "FID-VGG16*", 1))


def _fmt(value, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown_table(summaries: list[dict], reference: dict | None = None) -> str:
    """One row per (method, operating point); columns only for metrics some method has."""
    used = [c for c in COLUMNS if any(any(v is not None for v in s["results"].get(c[0], []))
                                      for s in summaries)]
    header = ["method", "point", "frames"] + [title for _, title, _ in used] + ["s/frame"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for summary in sorted(summaries, key=lambda s: (not s["name"].startswith("spic"), s["name"])):
        res = summary["results"]
        for i, point in enumerate(res["point"]):
            frames = res["num_frames"][i]
            wall = res.get("seconds_wall_total", [None] * len(res["point"]))[i]
            cells = [summary["name"], point, str(frames)]
            cells += [_fmt(res.get(key, [None] * (i + 1))[i], digits) for key, _, digits in used]
            cells.append(_fmt(wall / frames if wall and frames else None, 2))
            lines.append("| " + " | ".join(cells) + " |")
    notes = []
    if reference and reference.get("miou_labels_of_originals") is not None:
        notes.append(f"Judge on the original frames: mIoU {reference['miou_labels_of_originals']:.3f} "
                     f"against the labels ({reference['num_frames']} frames).")
    if any(c[0] == "fid_vgg16" for c in used):
        notes.append("FID-VGG16*: non-standard FID on VGG16 relu5_3 features (224x224 frames); "
                     "comparable only within this table, not to Inception FID.")
    notes.append("s/frame: wall seconds per frame for coding + decoding + all metrics of that "
                 "point (shared 2-core CPU).")
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"


def wall_times(summaries: list[dict]) -> dict[str, float]:
    """Total wall seconds per method (all points, all frames)."""
    return {s["name"]: float(sum(v or 0.0 for v in s["results"].get("seconds_wall_total", [])))
            for s in summaries}

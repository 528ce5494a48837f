"""Compact summary JSON + Markdown table of chosen (method, point) rows of ``spic eval`` runs.

    .venv/bin/python tools/summarize_eval.py --run gt=EVAL_GT --run segmenter=EVAL_SEG \
        --row "BPG (rate-matched)=bpg/match:spic-fast@q35" --row "quality=spic-quality/q35" \
        --row "fast=spic-fast/q35" --json docs/results/scsrdm_modes.json --markdown table.md

Each row is looked up in every run (a map source); the JSON keeps means, the per-class IoU
of every judge, the judges' independence flags, the settings and the git commit. It is small
enough to commit; the per-frame records stay in the run folders.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from publish import git_commit, write_block

FIELDS = ("num_frames", "bpp", "bpp_ssm", "bpp_coarse", "psnr", "lpips_alex", "psnr_coarse",
          "psnr_coarse_original", "seconds_decode")


def row_summary(run: Path, method: str, point: str) -> dict | None:
    """One operating point of one method in a run folder, or None when absent."""
    path = run / f"{method}.json"
    if not path.exists():
        return None
    summary = json.loads(path.read_text())
    results = summary["results"]
    if point not in results["point"]:
        return None
    i = results["point"].index(point)
    out = {k: results[k][i] for k in FIELDS if k in results}
    out["judges"] = {name: {"miou_labels": s["miou_labels"],
                            "iou_per_class_labels": s["iou_per_class_labels"]}
                     for name, s in results["judges"][i].items()}
    out["settings"] = {k: v for k, v in summary["settings"].items()
                       if k not in ("judge", "metrics")}
    return out


def _fmt(value, digits: int = 3, scale: float = 1.0) -> str:
    return "-" if value is None else f"{scale * value:.{digits}f}"


def markdown(summary: dict, car_index: int = 8) -> str:
    judges = list(dict.fromkeys(j for per_source in summary["judges"].values() for j in per_source))
    head = (["map", "method", "bpp", "PSNR", "LPIPS-Alex", "coarse PSNR (original)"]
            + [f"mIoU {j}" for j in judges] + [f"Car IoU {j}" for j in judges]
            + ["decode s/frame (eval, 1 thread)"])
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for source, rows in summary["runs"].items():
        for title, r in rows.items():
            if r is None:
                continue
            cells = [source, title, _fmt(r["bpp"]), _fmt(r["psnr"], 2), _fmt(r["lpips_alex"]),
                     f"{_fmt(r.get('psnr_coarse'), 2)} ({_fmt(r.get('psnr_coarse_original'), 2)})"]
            cells += [_fmt(r["judges"].get(j, {}).get("miou_labels"), 2, 100) for j in judges]
            cells += [_fmt((r["judges"].get(j, {}).get("iou_per_class_labels") or [None] * 11)
                           [car_index], 2, 100) for j in judges]
            cells.append(_fmt(r.get("seconds_decode"), 3))
            lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- `{j}` on {source}: " + (
        "independent of the vehicle segmenter" if d.get("independent", True)
        else "not independent: " + (d.get("relation_to_vehicle_segmenter") or "related"))
        for source, per_source in summary["judges"].items() for j, d in per_source.items()]
    return "\n".join(lines + [""] + notes) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", required=True, metavar="SOURCE=DIR")
    parser.add_argument("--row", action="append", required=True, metavar="TITLE=METHOD/POINT")
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--readme", type=Path,
                        help="also write the table into this file's scsrdm-modes block")
    parser.add_argument("--command", default="", help="the commands that made the runs")
    parser.add_argument("--selection", default="{}",
                        help="JSON: which split chose the models, and what it chose")
    args = parser.parse_args(argv)
    runs = [r.partition("=")[::2] for r in args.run]
    rows = [r.partition("=")[::2] for r in args.row]
    summary: dict = {"commit": git_commit(), "command": args.command,
                     "selection": json.loads(args.selection), "judges": {}, "runs": {}}
    for source, folder in runs:
        summary["runs"][source], summary["judges"][source] = {}, {}
        for title, spec in rows:
            method, _, point = spec.partition("/")
            r = row_summary(Path(folder).expanduser(), method, point)
            summary["runs"][source][title] = r
            if r is not None:
                for name, d in r["settings"].get("judges", {}).items():
                    summary["judges"][source][name] = d
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=1) + "\n")
    print(args.json)
    if args.markdown:
        args.markdown.write_text(markdown(summary))
        print(args.markdown)
    else:
        print(markdown(summary))
    if args.readme:
        write_block(args.readme, "scsrdm-modes", markdown(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

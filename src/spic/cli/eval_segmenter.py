"""``spic eval-segmenter --data camvid:DIR --split val``: mIoU, per-class IoU, accuracy, speed."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from spic.cli.segment import add_segmenter_arguments, create_from_args
from spic.segmentation.conditions import CONDITIONS


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--data", required=True, help="dataset spec, e.g. camvid:../shared/data/camvid")
    parser.add_argument("--split", default="val")
    parser.add_argument("--limit", type=int, help="only the first N frames")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--condition", action="append", default=[], metavar="NAME",
                        help="camera condition applied to every frame (repeat for several; "
                             "default clean): " + ", ".join(CONDITIONS))
    add_segmenter_arguments(parser)


def run(args: argparse.Namespace, command: str) -> int:
    from spic.datasets import load_samples
    from spic.segmentation.evaluation import evaluate_segmenter

    unknown = sorted(set(args.condition) - set(CONDITIONS))
    if unknown:
        raise SystemExit(f"eval-segmenter: unknown condition(s) {unknown}; known: {list(CONDITIONS)}")
    samples = load_samples(args.data, args.split)[: args.limit]
    segmenter = create_from_args(args)
    conditions = args.condition or ["clean"]
    by_condition = {}
    for name in conditions:
        metrics = evaluate_segmenter(segmenter, samples, progress=True,
                                     condition=CONDITIONS[name])
        by_condition[name] = metrics
        print(f"[{name}]")
        for label, iou in metrics["per_class_iou"].items():
            print(f"  {label:<12} {iou:6.2f}")
        print(f"{args.backend}: mIoU {metrics['miou']:.2f}  pixel acc "
              f"{metrics['pixel_accuracy']:.2f}  {metrics['ms_per_frame_median']:.1f} ms/frame "
              f"(median, {args.threads} threads, load {metrics['loadavg_1min']})  peak RSS "
              f"{metrics['peak_rss_mb']:.0f} MB  [{metrics['frames']} frames]")
    result = {"backend": args.backend, "model": args.model or "embedded", "threads": args.threads,
              "data": args.data, "split": args.split, "results": by_condition[conditions[0]]}
    if args.condition:
        result["conditions"] = by_condition
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0

"""How well rate control holds a link budget on a camera bag, and what it costs the map's user.

    .venv/bin/spic_bag_from_images ../shared/data/camvid/val /tmp/camvid_val --fps 10
    .venv/bin/python benchmarks/bench_rate_control.py /tmp/camvid_val --kbps 60,90,150 \
        --output docs/results/rate_control.json

Every image of the bag goes through the real vehicle-side encoder (segmenter, SLC, BPG with
rate control at the bag's frame rate); per budget it prints the mean and p95 kbit/s
(serialised SemanticFrames, a one-second sliding window for the p95), the frames that could
not fit, and the coarse qualities chosen. With ``--judge MODEL.onnx`` (repeatable) each frame
is also decoded (the default decoder, SCSRDM fast) and scored against the judge's map of the
original frame: judge mIoU per budget.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np

from spic.confusion import ConfusionMatrix
from spic.pipeline import DecoderConfig, EncoderConfig, SemanticDecoder, SemanticEncoder
from spic_ros.bag_io import deserialize, image_topics, read_messages
from spic_ros.image_conversion import image_to_rgb


def bag_frames(bag: Path, topic: str | None, limit: int) -> tuple[list[np.ndarray], float]:
    """The bag's camera images (rgb) and their frame rate."""
    (camera,) = image_topics(bag, topic, "")[:1]
    frames, stamps = [], []
    for message in read_messages(bag, [camera]):
        frames.append(image_to_rgb(deserialize(message.data, message.msgtype)))
        stamps.append(message.timestamp)
        if len(frames) == limit:
            break
    rate = (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1e9) if len(stamps) > 1 else 10.0
    return frames, rate


def run_budget(frames, maps, fps: float, kbps: float, judges=(), references=()) -> dict:
    """One budget; ``references[j][i]``: judge ``j``'s map of original frame ``i``."""
    encoder = SemanticEncoder(EncoderConfig(target_kbps=kbps, frame_rate=fps))
    decoder = SemanticDecoder(DecoderConfig()) if judges else None
    sizes, qualities = [], []
    confusions = [ConfusionMatrix(11) for _ in judges]
    for i, (rgb, ssm) in enumerate(zip(frames, maps)):
        payload = encoder.encode(rgb, ssm=ssm, label_set=encoder.segmenter.label_set.id)
        sizes.append(len(payload.to_bytes()))
        qualities.append(payload.coarse_quality)
        if judges:
            recon = decoder.decode(payload).rgb
            for judge, reference, confusion in zip(judges, references, confusions):
                confusion.update(reference[i], judge.segment(recon))
    window = max(1, round(fps))
    rates = [8 * sum(sizes[i:i + window]) * fps / window / 1000
             for i in range(len(sizes) - window + 1)]
    return {"target_kbps": kbps, "frames": len(sizes),
            "mean_kbps": 8 * statistics.mean(sizes) * fps / 1000,
            "p95_kbps_1s_window": float(np.percentile(rates, 95)),
            "frames_over_budget": encoder.rate.frames_over_budget,
            "quality_min": min(qualities), "quality_median": statistics.median(qualities),
            "quality_max": max(qualities),
            "judge_miou_vs_original": {judge.name: confusion.mean_iou()
                                       for judge, confusion in zip(judges, confusions)} or None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bag", type=Path)
    parser.add_argument("--topic", help="camera topic (default: the bag's image topic)")
    parser.add_argument("--kbps", default="60,90,150", help="comma-separated budgets")
    parser.add_argument("--limit", type=int, default=0, help="only the first N frames")
    parser.add_argument("--judge", type=Path, action="append", default=[],
                        help="judge ONNX model (with its .json sidecar); repeatable")
    parser.add_argument("--output", type=Path, help="write the results as JSON")
    args = parser.parse_args()
    frames, fps = bag_frames(args.bag, args.topic, args.limit)
    segmenter = SemanticEncoder().segmenter
    maps = [segmenter.segment(rgb) for rgb in frames]
    from spic.eval.judge import Judge

    judges = [Judge(path, "camvid11") for path in args.judge]
    references = [[judge.segment(rgb) for rgb in frames] for judge in judges]
    rows = [run_budget(frames, maps, fps, float(k), judges, references)
            for k in args.kbps.split(",")]
    result = {"bag": str(args.bag), "frames": len(frames), "frame_rate": fps,
              "judges": {judge.name: judge.describe() for judge in judges}, "budgets": rows}
    print(json.dumps(result, indent=1))
    if args.output:
        args.output.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

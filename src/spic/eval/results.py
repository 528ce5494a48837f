"""Per-frame records (JSON lines, for resuming) and per-method summaries (JSON + CSV).

Layout of an output folder::

    records/<method>.jsonl        one line per (operating point, frame), appended as it runs;
                                  each carries its content ``key`` (spic.eval.fingerprint)
    features/<kind>/<method>/<point>/<frame>.npy   FID features of reconstructions
    <method>.json                 CompressAI-like summary: name, description, settings,
                                  results (lists, one entry per operating point), per_frame
    results.csv                   one row per (method, operating point)
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from spic.confusion import ConfusionMatrix
from spic.eval.psnr import psnr_from_mse

#: Per-frame numeric fields averaged over frames in the summaries.
MEAN_FIELDS = ("bpp", "bpp_ssm", "bpp_coarse", "bpp_full", "psnr", "mse", "psnr_coarse",
               "psnr_coarse_original", "lpips_alex",
               "lpips_vgg", "seconds_encode", "seconds_decode", "seconds_metrics", "seconds_wall")


def safe_name(text: str) -> str:
    """A file-name-safe version of a method name (``coarse+bicubic`` -> ``coarse+bicubic``)."""
    return "".join(c if c.isalnum() or c in "+-_.=" else "_" for c in text)


class RecordStore:
    """Append-only JSON-lines store of one method's per-frame records.

    A record counts only under its content ``key`` (frame bytes + method behaviour, see
    :mod:`spic.eval.fingerprint`): records made by another codec version, other weights or
    other parameters stay in the file but are never reused or summarised.
    """

    def __init__(self, out_dir: Path, method: str) -> None:
        self.path = Path(out_dir) / "records" / f"{safe_name(method)}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._records: dict[tuple[str, str, str], dict] = {}
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        """Read complete lines; drop a tail cut by an interrupted run (it is redone)."""
        good = 0
        with self.path.open("rb") as f:
            for line in f:
                try:
                    if not line.endswith(b"\n"):
                        raise ValueError("unterminated line")
                    record = json.loads(line)
                except ValueError:
                    break
                good += len(line)
                # parallel runs may both have written a frame: the first one counts
                self._records.setdefault(self._id(record), record)
        if good != self.path.stat().st_size:
            with self.path.open("r+b") as f:
                f.truncate(good)

    @staticmethod
    def _id(record: dict) -> tuple[str, str, str]:
        return record["point"], record["frame"], record.get("key", "")

    def done(self, point: str, frame: str, key: str) -> bool:
        return (point, frame, key) in self._records

    def append(self, record: dict) -> None:
        if "key" not in record:
            raise ValueError("a record needs its content key")
        with self.path.open("a") as f:
            f.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._records[self._id(record)] = record

    def records(self, keys: dict[tuple[str, str], str]) -> list[dict]:
        """The records whose ``(point, frame)`` is in ``keys`` under that key."""
        return [r for (point, frame, key), r in self._records.items()
                if keys.get((point, frame)) == key]


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return float(np.mean(values)) if values else None


def _confusion(records: list[dict], key: str, num_classes: int) -> ConfusionMatrix | None:
    total = None
    for r in records:
        if r.get(key) is not None:
            cm = ConfusionMatrix(num_classes, np.asarray(r[key]))
            total = cm if total is None else total + cm
    return total


def _nan_to_none(x: float) -> float | None:
    return None if x is None or math.isnan(x) else x


def _segmentation_scores(records: list[dict], num_classes: int) -> dict:
    out: dict = {}
    for ref in ("labels", "judge"):
        cm = _confusion(records, f"confusion_{ref}", num_classes)
        out[f"miou_{ref}"] = _nan_to_none(cm.mean_iou()) if cm else None
        out[f"pixel_accuracy_{ref}"] = _nan_to_none(cm.pixel_accuracy()) if cm else None
        out[f"iou_per_class_{ref}"] = ([_nan_to_none(float(v)) for v in cm.iou()] if cm else None)
    return out


def summarize_point(records: list[dict], num_classes: int) -> dict:
    """Means over frames plus split-level mIoU (accumulated confusion) for one point.

    The top-level ``miou_*`` fields are the first judge's; ``judges`` has every judge's.
    """
    out: dict = {"num_frames": len(records)}
    for name in MEAN_FIELDS:
        out[name] = _mean([r.get(name) for r in records])
    out["seconds_wall_total"] = float(sum(r.get("seconds_wall", 0.0) for r in records))
    out["psnr_of_mean_mse"] = psnr_from_mse(out["mse"]) if out["mse"] is not None else None
    out.update(_segmentation_scores(records, num_classes))
    names = list(dict.fromkeys(n for r in records for n in r.get("judges", {})))
    out["judges"] = {n: _segmentation_scores([r["judges"][n] for r in records
                                              if n in r.get("judges", {})], num_classes)
                     for n in names}
    return out


def summarize_method(name: str, description: str, settings: dict, records: list[dict],
                     points: list[str], num_classes: int,
                     fid: dict[str, float | None] | None = None) -> dict:
    """The CompressAI-like JSON of one method: lists indexed by operating point."""
    per_point = {p: [r for r in records if r["point"] == p] for p in points}
    summaries = [summarize_point(per_point[p], num_classes) for p in points]
    results: dict[str, list] = {"point": list(points)}
    results["quality"] = [per_point[p][0].get("quality") if per_point[p] else None
                          for p in points]
    for key in summaries[0] if summaries else []:
        results[key] = [s[key] for s in summaries]
    if fid:
        for key, values in fid.items():
            results[key] = values
    frame_fields = ("frame", "quality", "bpp", "bpp_ssm", "bpp_coarse", "bpp_full", "psnr",
                    "psnr_coarse", "psnr_coarse_original",
                    "lpips_alex", "lpips_vgg", "miou_labels_frame", "miou_judge_frame")
    per_frame = {p: [{k: r.get(k) for k in frame_fields if k in r} for r in per_point[p]]
                 for p in points}
    return {"name": name, "description": description, "settings": settings,
            "results": results, "per_frame": per_frame}


def write_json(path: Path, data: dict) -> None:
    tmp = Path(path).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


CSV_FIELDS = ("method", "point", "quality", "num_frames", "bpp", "bpp_ssm", "bpp_coarse",
              "bpp_full", "miou_labels", "miou_judge", "psnr", "lpips_alex", "lpips_vgg",
              "fid_inception", "fid_vgg16", "seconds_encode", "seconds_decode", "seconds_metrics",
              "seconds_wall_total")


def write_csv(path: Path, summaries: list[dict]) -> None:
    """One row per (method, operating point) from the method summaries."""
    with Path(path).open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for summary in summaries:
            results = summary["results"]
            for i, point in enumerate(results["point"]):
                row = {"method": summary["name"]}
                for key in CSV_FIELDS[1:]:
                    value = results.get(key, [None] * (i + 1))[i]
                    row[key] = f"{value:.6g}" if isinstance(value, float) else value
                writer.writerow(row)


def load_summaries(out_dir: Path) -> list[dict]:
    """Every method summary JSON in an output folder (those with ``results``)."""
    summaries = []
    for path in sorted(Path(out_dir).glob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "results" in data and "name" in data:
            summaries.append(data)
    return summaries

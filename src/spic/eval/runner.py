"""The evaluation loop: frames outer, methods and operating points inner, resumable.

Per frame, everything about the original (judge map, LPIPS and FID reference features)
is computed once and shared by all methods; judge maps and FID features of originals are
cached on disk under ``<out>/cache`` so a resumed or repeated run does not redo them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image
from tqdm import tqdm

from spic.datasets import Sample, read_labels, read_rgb
from spic.eval.confusion import ConfusionMatrix
from spic.eval.fid import FID_KINDS, fid
from spic.eval.judge import Judge
from spic.eval.lpips import Lpips
from spic.eval.methods import CodecMethod, Method
from spic.eval.psnr import mse, psnr, psnr_from_mse
from spic.eval.rate_matching import QUALITY_RANGES, match_frame
from spic.eval.results import (RecordStore, safe_name, summarize_method, summarize_point,
                               load_summaries, write_csv, write_json)
from spic.image_ops import area_downscale
from spic.labelsets import get_label_set

METRICS = ("miou", "psnr", "lpips-alex", "lpips-vgg", "fid")


@dataclass
class EvalConfig:
    out_dir: Path
    label_set: str = "camvid11"
    metrics: tuple[str, ...] = METRICS
    #: Every judge scores every reconstruction (reconstruct once, judge many); the first
    #: one also fills the top-level ``miou_*`` fields (plots, CSV).
    judges: tuple[Judge, ...] = ()
    #: ``(kind, extractor)``: kind ``"inception"`` or ``"vgg16"``; None = no FID.
    fid_features: tuple[str, Callable[[np.ndarray], np.ndarray]] | None = None
    save_recon: int = 0
    match: str | None = None
    settings: dict = field(default_factory=dict)


def point_label(quality: int) -> str:
    return f"q{quality}"


class Evaluator:
    """Runs methods over samples, appending per-frame records; writes summaries."""

    def __init__(self, config: EvalConfig, methods: list[Method]) -> None:
        self.config = config
        self.methods = methods
        self.out = Path(config.out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.labels = get_label_set(config.label_set)
        self.stores = {m.name: RecordStore(self.out, m.name) for m in methods}
        self.originals = RecordStore(self.out, "_original")
        metrics = set(config.metrics)
        self.lpips = {net: Lpips(net) for net in ("alex", "vgg") if f"lpips-{net}" in metrics}
        if config.match and config.match not in self.stores:
            raise ValueError(f"--match {config.match!r} is not one of the evaluated methods")

    # -- operating points -------------------------------------------------------------
    def points(self, method: Method) -> list[str]:
        labels = [point_label(q) for q in method.points]
        if self.config.match and isinstance(method, CodecMethod):
            matched = next(m for m in self.methods if m.name == self.config.match)
            labels += [f"match:{matched.name}@{point_label(q)}" for q in matched.points]
        return labels

    def _quality(self, method: Method, point: str, rgb: np.ndarray, frame: str) -> int | None:
        """The codec quality of ``point``; for rate-matched points, found on this frame."""
        if not point.startswith("match:"):
            return int(point[1:])
        target_method, _, target_point = point[len("match:"):].partition("@")
        target = next((r for r in self.stores[target_method].records()
                       if r["point"] == target_point and r["frame"] == frame), None)
        if target is None or not isinstance(method, CodecMethod):
            return None
        low, high = QUALITY_RANGES.get(method.codec_name, (1, 100))
        quality, _ = match_frame(method.codec_name, rgb, target["bpp"], low, high)
        return quality

    # -- references (originals) -------------------------------------------------------
    def _cache(self, kind: str, frame: str, suffix: str) -> Path:
        path = self.out / "cache" / kind / f"{safe_name(frame)}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _judge_reference(self, judge: Judge, sample: Sample, rgb: np.ndarray) -> np.ndarray:
        size = judge.input_size
        tag = f"judge-{judge.model.stem}-{size[0]}x{size[1]}" if size else f"judge-{judge.model.stem}"
        path = self._cache(tag, sample.name, ".png")
        if path.exists():
            with Image.open(path) as img:
                return np.array(img)
        labels = judge.segment(rgb)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        Image.fromarray(labels).save(tmp, format="PNG")
        tmp.replace(path)  # atomic: parallel runs may share the cache
        return labels

    def _fid_reference(self, frame: str, rgb: np.ndarray) -> np.ndarray:
        kind, extractor = self.config.fid_features
        path = self._cache(f"fid-{kind}", frame, ".npy")
        if path.exists():
            return np.load(path)
        features = extractor(rgb)
        _save_npy(path, features)
        return features

    # -- the loop ---------------------------------------------------------------------
    def run(self, samples: list[Sample], write_every: int = 25) -> list[dict]:
        """Evaluate every frame; summaries are rewritten every ``write_every`` computed frames."""
        computed = 0
        for index, sample in enumerate(tqdm(samples, desc="eval", unit="frame")):
            todo = [(m, p) for m in self.methods for p in self.points(m)
                    if not self.stores[m.name].done(p, sample.name)]
            if todo:
                self._run_frame(index, sample, todo)
                computed += 1
                if computed % write_every == 0:
                    self.write_summaries()
        return self.write_summaries()

    def _run_frame(self, index: int, sample: Sample, todo: list[tuple[Method, str]]) -> None:
        rgb = read_rgb(sample.image)
        gt = read_labels(sample.labels) if sample.labels else None
        judges = self.config.judges if "miou" in self.config.metrics else ()
        judge_refs = {j.name: self._judge_reference(j, sample, rgb) for j in judges}
        if judge_refs and gt is not None and not self.originals.done("original", sample.name):
            k = self.labels.num_classes
            per_judge = {name: {"confusion_labels": ConfusionMatrix(k).update(gt, ref).counts.tolist()}
                         for name, ref in judge_refs.items()}
            first = next(iter(per_judge.values()))
            self.originals.append({"frame": sample.name, "point": "original",
                                   "confusion_labels": first["confusion_labels"],
                                   "judges": per_judge})
        ref_taps = {net: model.features(rgb) for net, model in self.lpips.items()}
        fid_ref = self._fid_reference(sample.name, rgb) if self.config.fid_features else None
        if index < self.config.save_recon:
            path = self.out / "recon" / "original" / f"{safe_name(sample.name)}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rgb).save(path)
        prepared: set[str] = set()
        for method, point in todo:
            t0 = time.perf_counter()
            if method.name not in prepared:
                method.prepare(rgb, gt)
                prepared.add(method.name)
            quality = self._quality(method, point, rgb, sample.name)
            if quality is None:
                continue
            coded = method.run(rgb, quality)
            t1 = time.perf_counter()
            record = self._measure(sample, rgb, gt, judge_refs, ref_taps, coded, method, point)
            record["quality"] = quality
            record["seconds_metrics"] = time.perf_counter() - t1
            record["seconds_wall"] = time.perf_counter() - t0
            if fid_ref is not None:
                _save_npy(self._feature_path(method.name, point, sample.name),
                          record.pop("_fid_features"))
            if index < self.config.save_recon:
                path = self.out / "recon" / safe_name(method.name) / safe_name(point)
                path.mkdir(parents=True, exist_ok=True)
                Image.fromarray(coded.rgb).save(path / f"{safe_name(sample.name)}.png")
            self.stores[method.name].append(record)

    def _feature_path(self, method: str, point: str, frame: str) -> Path:
        kind = self.config.fid_features[0]
        path = self.out / "features" / kind / safe_name(method) / safe_name(point)
        path.mkdir(parents=True, exist_ok=True)
        return path / f"{safe_name(frame)}.npy"

    def _measure(self, sample: Sample, rgb: np.ndarray, gt: np.ndarray | None,
                 judge_refs: dict[str, np.ndarray], ref_taps: dict, coded, method: Method,
                 point: str) -> dict:
        recon = coded.rgb
        if recon.shape != rgb.shape or recon.dtype != np.uint8:
            raise ValueError(f"{method.name} returned {recon.dtype} {recon.shape}, "
                             f"expected uint8 {rgb.shape}")
        pixels = rgb.shape[0] * rgb.shape[1]
        timings = coded.timings
        record: dict = {
            "frame": sample.name, "point": point,
            "bytes_ssm": coded.bytes_ssm, "bytes_coarse": coded.bytes_coarse,
            "bytes_full": coded.bytes_full,
            "bpp_ssm": 8 * coded.bytes_ssm / pixels, "bpp_coarse": 8 * coded.bytes_coarse / pixels,
            "bpp_full": 8 * coded.bytes_full / pixels, "bpp": 8 * coded.num_bytes / pixels,
            "seconds_encode": sum(v for k, v in timings.items() if "decode" not in k
                                  and k != "reconstruct"),
            "seconds_decode": sum(v for k, v in timings.items() if "decode" in k
                                  or k == "reconstruct"),
            "timings": timings,
        }
        metrics = self.config.metrics
        if "psnr" in metrics:
            record["mse"] = mse(rgb, recon)
            record["psnr"] = psnr_from_mse(record["mse"])
            if coded.coarse is not None:  # coarse consistency: how far is each from what was sent
                record["psnr_coarse"] = psnr(area_downscale(recon, coded.downscale), coded.coarse)
                record["psnr_coarse_original"] = psnr(area_downscale(rgb, coded.downscale),
                                                      coded.coarse)
        taps = {net: model.features(recon) for net, model in self.lpips.items()}
        for net, model in self.lpips.items():
            record[f"lpips_{net}"] = model.distance_from_features(ref_taps[net], taps[net])
        if "miou" in metrics and self.config.judges:
            k = self.labels.num_classes
            record["judges"] = {}
            for judge in self.config.judges:
                pred, scores = judge.segment(recon), {}
                for ref_name, ref in (("labels", gt), ("judge", judge_refs[judge.name])):
                    if ref is None:
                        continue
                    cm = ConfusionMatrix(k).update(ref, pred)
                    scores[f"confusion_{ref_name}"] = cm.counts.tolist()
                    frame_miou = cm.mean_iou()
                    scores[f"miou_{ref_name}_frame"] = None if np.isnan(frame_miou) else frame_miou
                record["judges"][judge.name] = scores
            record.update(record["judges"][self.config.judges[0].name])
        if self.config.fid_features:
            record["_fid_features"] = self.config.fid_features[1](recon)
        return record

    # -- summaries ----------------------------------------------------------------------
    def _fid_for(self, method: Method, points: list[str]) -> dict[str, list]:
        kind, _ = self.config.fid_features
        values = []
        for point in points:
            folder = self.out / "features" / kind / safe_name(method.name) / safe_name(point)
            files = sorted(folder.glob("*.npy")) if folder.exists() else []
            refs = [self.out / "cache" / f"fid-{kind}" / f.name for f in files]
            pairs = [(f, r) for f, r in zip(files, refs) if r.exists()]
            if len(pairs) < 2:
                values.append(None)
                continue
            recon = np.stack([np.load(f) for f, _ in pairs])
            orig = np.stack([np.load(r) for _, r in pairs])
            values.append(fid(recon, orig))
        return {f"fid_{kind}": values}

    def write_summaries(self) -> list[dict]:
        summaries = []
        relations = self.config.settings.get("judge_relations", {})
        common = {**self.config.settings, "metrics": list(self.config.metrics),
                  "judge": self.config.judges[0].describe() if self.config.judges else None,
                  "judges": {j.name: {**j.describe(), "relation_to_vehicle_segmenter":
                                      relations.get(j.name),
                                      "independent": relations.get(j.name) is None}
                             for j in self.config.judges},
                  "fid": ({"kind": self.config.fid_features[0],
                           "description": FID_KINDS[self.config.fid_features[0]]}
                          if self.config.fid_features else None)}
        for method in self.methods:
            points = self.points(method)
            fid_values = self._fid_for(method, points) if self.config.fid_features else None
            summary = summarize_method(method.name, method.description,
                                       {**common, **method.settings()},
                                       self.stores[method.name].records(), points,
                                       self.labels.num_classes, fid_values)
            write_json(self.out / f"{safe_name(method.name)}.json", summary)
            summaries.append(summary)
        write_csv(self.out / "results.csv", load_summaries(self.out))  # all methods, any run
        originals = self.originals.records()
        if originals:
            reference = summarize_point(originals, self.labels.num_classes)
            write_json(self.out / "reference.json",
                       {"judge": common["judge"], "num_frames": reference["num_frames"],
                        "miou_labels_of_originals": reference["miou_labels"],
                        "iou_per_class_labels_of_originals": reference["iou_per_class_labels"],
                        "judges": {name: {"miou_labels_of_originals": r["miou_labels"],
                                          "iou_per_class_labels_of_originals":
                                              r["iou_per_class_labels"]}
                                   for name, r in reference.get("judges", {}).items()}})
        return summaries


def _save_npy(path: Path, array: np.ndarray) -> None:
    """Write atomically (parallel runs may share a cache folder)."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        np.save(f, array)
    tmp.replace(path)

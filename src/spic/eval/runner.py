"""The evaluation loop: frames outer, methods and operating points inner, resumable.

Per frame, everything about the original (judge map, LPIPS and FID reference features)
is computed once and shared by all methods; judge maps and FID features of originals are
cached on disk under ``<out>/cache`` so a resumed or repeated run does not redo them.
Records and caches are keyed by content (:mod:`spic.eval.fingerprint`): a changed frame,
judge, codec, model or parameter is recomputed, never mixed with older results.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image
from tqdm import tqdm

from spic.datasets import Sample, read_labels, read_rgb
from spic.confusion import ConfusionMatrix
from spic.eval.fid import FID_KINDS, fid
from spic.eval.content_cache import MetricsCache
from spic.eval.fingerprint import method_key, sample_key, sha256
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
    #: ``METHOD`` or ``METHOD@qN``: full-res codecs also run rate-matched per frame to that
    #: method's bytes, at all its points or at point ``qN`` only.
    match: str | None = None
    settings: dict = field(default_factory=dict)


def point_label(quality: int) -> str:
    return f"q{quality}"


def judge_key(judge: Judge) -> str:
    """Content key of a judge: its model file and input size."""
    size = "x".join(map(str, judge.input_size)) if judge.input_size else "native"
    return sha256(Path(judge.model).read_bytes(), size.encode())[:16]


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
        self.match_method, _, self.match_point = (config.match or "").partition("@")
        if config.match and self.match_method not in self.stores:
            raise ValueError(f"--match {config.match!r} is not one of the evaluated methods")
        self.judge_keys = {j.name: judge_key(j) for j in config.judges}
        cache = self.out / "cache"
        self.metrics_cache = MetricsCache(cache, sha256(json.dumps(
            [sorted(config.metrics), self.judge_keys]).encode())[:16])
        for method in methods:
            method.use_cache(cache)
        self.point_keys = {m.name: self._point_keys(m) for m in methods}
        self.frame_keys: dict[str, str] = {}

    def _point_keys(self, method: Method) -> dict[str, str]:
        """Content key of each operating point of ``method`` (its behaviour on the probe)."""
        keys = {point_label(q): method_key(method, q) for q in method.points}
        for point in self.points(method):
            if point.startswith("match:"):  # the codec's behaviour and the target's key
                target_method, _, target_point = point[len("match:"):].partition("@")
                low, high = QUALITY_RANGES.get(method.codec_name, (1, 100))
                reference = method.points[0] if method.points else (low + high) // 2
                target = next(m for m in self.methods if m.name == target_method)
                keys[point] = sha256(method_key(method, reference).encode(),
                                     method_key(target, int(target_point[1:])).encode())[:16]
        return keys

    def record_key(self, method: str, point: str, frame: str) -> str:
        return f"{self.point_keys[method][point]}:{self.frame_keys[frame]}"

    def _current(self, method: str) -> dict[tuple[str, str], str]:
        """(point, frame) -> the key a record needs to count, for every known frame."""
        return {(p, f): self.record_key(method, p, f)
                for p in self.point_keys[method] for f in self.frame_keys}

    def _originals_key(self, frame: str) -> str:
        return sha256(*(k.encode() for k in sorted(self.judge_keys.values())),
                      self.frame_keys[frame].encode())[:16]

    # -- operating points -------------------------------------------------------------
    def points(self, method: Method) -> list[str]:
        labels = [point_label(q) for q in method.points]
        if self.config.match and isinstance(method, CodecMethod):
            matched = next(m for m in self.methods if m.name == self.match_method)
            labels += [f"match:{matched.name}@{point_label(q)}" for q in matched.points
                       if self.match_point in ("", point_label(q))]
        return labels

    def _quality(self, method: Method, point: str, rgb: np.ndarray, frame: str) -> int | None:
        """The codec quality of ``point``; for rate-matched points, found on this frame."""
        if not point.startswith("match:"):
            return int(point[1:])
        target_method, _, target_point = point[len("match:"):].partition("@")
        key = self.record_key(target_method, target_point, frame)
        target = next((r for r in self.stores[target_method].records({(target_point, frame): key})),
                      None)
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
        tag = f"judge-{judge.model.stem}-{self.judge_keys[judge.name]}"
        path = self._cache(tag, sample.name, f".{self.frame_keys[sample.name]}.png")
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
        path = self._cache(f"fid-{kind}", frame, f".{self.frame_keys[frame]}.npy")
        if path.exists():
            return np.load(path)
        features = extractor(rgb)
        _save_npy(path, features)
        return features

    # -- the loop ---------------------------------------------------------------------
    def run(self, samples: list[Sample], write_every: int = 25) -> list[dict]:
        """Evaluate every frame; summaries are rewritten every ``write_every`` computed frames."""
        self.frame_keys = {s.name: sample_key(s.image, s.labels) for s in samples}
        computed = 0
        for index, sample in enumerate(tqdm(samples, desc="eval", unit="frame")):
            todo = [(m, p) for m in self.methods for p in self.points(m)
                    if not self.stores[m.name].done(p, sample.name,
                                                    self.record_key(m.name, p, sample.name))]
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
        originals_key = self._originals_key(sample.name)
        if judge_refs and gt is not None and not self.originals.done("original", sample.name,
                                                                     originals_key):
            k = self.labels.num_classes
            per_judge = {name: {"confusion_labels": ConfusionMatrix(k).update(gt, ref).counts.tolist()}
                         for name, ref in judge_refs.items()}
            first = next(iter(per_judge.values()))
            self.originals.append({"frame": sample.name, "point": "original",
                                   "key": originals_key,
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
            record["key"] = self.record_key(method.name, point, sample.name)
            record["seconds_metrics"] = time.perf_counter() - t1
            record["seconds_wall"] = time.perf_counter() - t0
            if fid_ref is not None:
                _save_npy(self._feature_path(method.name, point, sample.name, record["key"]),
                          record.pop("_fid_features"))
            if index < self.config.save_recon:
                path = self.out / "recon" / safe_name(method.name) / safe_name(point)
                path.mkdir(parents=True, exist_ok=True)
                Image.fromarray(coded.rgb).save(path / f"{safe_name(sample.name)}.png")
            self.stores[method.name].append(record)

    def _feature_path(self, method: str, point: str, frame: str, key: str) -> Path:
        kind = self.config.fid_features[0]
        path = self.out / "features" / kind / safe_name(method) / safe_name(point)
        path.mkdir(parents=True, exist_ok=True)
        return path / f"{safe_name(frame)}.{safe_name(key)}.npy"

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
        outputs = (recon,) if coded.coarse is None else (recon, coded.coarse)
        cached = self.metrics_cache.get(self.frame_keys[sample.name], *outputs)
        if cached is None:
            cached = self._quality_metrics(rgb, gt, judge_refs, ref_taps, coded)
            if "fid" not in self.config.metrics:  # FID features travel with the record
                self.metrics_cache.put(self.frame_keys[sample.name], cached, *outputs)
        record.update(cached)
        return record

    def _quality_metrics(self, rgb: np.ndarray, gt: np.ndarray | None,
                         judge_refs: dict[str, np.ndarray], ref_taps: dict, coded) -> dict:
        """Everything measured on the reconstruction itself (cached by its content)."""
        recon, record = coded.rgb, {}
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
            pairs = [(self._feature_path(method.name, point, frame, self.record_key(
                          method.name, point, frame)),
                      self._cache(f"fid-{kind}", frame, f".{key}.npy"))
                     for frame, key in self.frame_keys.items()]
            pairs = [(f, r) for f, r in pairs if f.exists() and r.exists()]
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
                                       self.stores[method.name].records(
                                           self._current(method.name)), points,
                                       self.labels.num_classes, fid_values)
            write_json(self.out / f"{safe_name(method.name)}.json", summary)
            summaries.append(summary)
        write_csv(self.out / "results.csv", load_summaries(self.out))  # all methods, any run
        originals = self.originals.records({("original", f): self._originals_key(f)
                                            for f in self.frame_keys})
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

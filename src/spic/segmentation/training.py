"""Training loop for SpicSegNet: augmentation, class-balanced CE + distillation, eval, resume.

Checkpoints (all safetensors + JSON) in ``out``: ``last/`` (model, optimizer, counters;
``--resume`` continues from it), ``best/`` (model + config with the best val mIoU so far)
and ``history.json`` (the learning curve). The learning-rate schedule is warm-up + cosine
over ``progress = max(step / max_steps, wall time / max_minutes)``, so a run given a
wall-clock budget on a shared CPU still anneals fully before its deadline.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from spic.datasets import Sample, load_samples, read_labels, read_rgb
from spic.labelsets import get_label_set
from spic.segmentation.checkpoint import (load_model, load_training_state, save_model,
                                          save_training_state)
from spic.confusion import ConfusionMatrix
from spic.runtime import resolve_device
from spic.segmentation.spic_net import SpicSegNet, SpicSegNetConfig

IGNORE = 255


@dataclass
class TrainConfig:
    """Everything a training run needs (saved in ``out/train_config.json``)."""

    data: str
    out: str
    train_split: str = "fit"  # CamVid train minus the committed selection split
    val_split: str = "selection"  # checkpoints and hyper-parameters are chosen here
    model: dict = field(default_factory=dict)       # SpicSegNetConfig overrides
    init: str | None = None                         # start from these weights (their config)
    teachers: tuple[str, ...] = ()                  # ONNX teachers for distillation
    teacher_weights: tuple[float, ...] = ()         # their mixture weights (default: equal)
    kd_weight: float = 1.0
    temperature: float = 2.0
    class_weight_c: float = 1.10                    # w_c = 1 / ln(c + freq_c) (ENet-style)
    crop: tuple[int, int] = (320, 240)              # (w, h)
    batch: int = 6
    scale: tuple[float, float] = (0.6, 1.6)
    jitter: float = 0.25                            # brightness, contrast, saturation 1 +- this
    gamma: tuple[float, float] = (1.0, 1.0)         # x ** gamma, log-uniform (dusk, glare)
    channel_gain: float = 0.0                       # per-channel gain 1 +- this (white balance)
    blur: float = 0.0                               # probability of a Gaussian blur (sigma 0.5-1.5)
    noise: float = 0.0                              # probability of Gaussian noise (sigma <= 0.03)
    lr: float = 3e-3
    weight_decay: float = 1e-4
    warmup: int = 200
    max_steps: int | None = None
    max_minutes: float | None = None
    eval_every: int = 500
    max_train: int | None = None                    # use only the first N train frames
    max_val: int | None = None
    seed: int = 0
    cache: str = ".cache/segmenter"
    device: str = "auto"                            # auto (CUDA when available), cpu, cuda
    progress: bool = True

    def __post_init__(self) -> None:
        if self.max_steps is None and self.max_minutes is None:
            raise ValueError("give max_steps and/or max_minutes")
        if self.batch < 1 or min(self.crop) < 16 or not 0 < self.scale[0] <= self.scale[1]:
            raise ValueError("batch >= 1, crop >= 16 px and 0 < scale_min <= scale_max needed")
        if self.teacher_weights and len(self.teacher_weights) != len(self.teachers):
            raise ValueError("give one teacher weight per teacher (or none: equal weights)")
        if any(w < 0 for w in self.teacher_weights) or not 0 < self.gamma[0] <= self.gamma[1]:
            raise ValueError("teacher weights >= 0 and 0 < gamma_min <= gamma_max needed")
        if self.init and self.model:
            raise ValueError("--init takes the architecture from its weights: give no --model")

    def mixture(self) -> list[float]:
        """The teachers' weights, normalised to sum 1."""
        weights = list(self.teacher_weights) or [1.0] * len(self.teachers)
        return [w / sum(weights) for w in weights]


def load_arrays(samples: list[Sample]) -> tuple[np.ndarray, np.ndarray]:
    """Images (N x H x W x 3 uint8) and labels (N x H x W uint8) of same-size samples."""
    images = [read_rgb(s.image) for s in samples]
    labels = [read_labels(s.labels) for s in samples]
    shapes = {im.shape[:2] for im in images} | {lab.shape for lab in labels}
    if len(shapes) != 1:
        raise ValueError(f"training needs one frame size per split, found {sorted(shapes)}")
    return np.stack(images), np.stack(labels)


def class_weights(labels: np.ndarray, num_classes: int, c: float) -> torch.Tensor:
    """ENet-style ``1 / ln(c + frequency)`` weights from label counts (void excluded)."""
    counts = np.bincount(labels.ravel(), minlength=256)[:num_classes].astype(np.float64)
    freq = counts / max(counts.sum(), 1.0)
    return torch.tensor(1.0 / np.log(c + freq), dtype=torch.float32)


def random_grid(batch: int, src_hw: tuple[int, int], crop_wh: tuple[int, int],
                scale: tuple[float, float], rng: np.random.Generator) -> torch.Tensor:
    """``grid_sample`` grids for a random scale, crop and horizontal flip per sample."""
    h, w = src_hw
    cw, ch = crop_wh
    grids = []
    for _ in range(batch):
        s = rng.uniform(*scale)
        ox = rng.uniform(min(0.0, w * s - cw), max(0.0, w * s - cw))
        oy = rng.uniform(min(0.0, h * s - ch), max(0.0, h * s - ch))
        xs = (ox + torch.arange(cw) + 0.5) / s
        ys = (oy + torch.arange(ch) + 0.5) / s
        if rng.random() < 0.5:
            xs = w - xs
        gx = (2 * xs / w - 1).expand(ch, cw)
        gy = (2 * ys / h - 1)[:, None].expand(ch, cw)
        grids.append(torch.stack([gx, gy], -1))
    return torch.stack(grids).float()


def colour_jitter(x: torch.Tensor, amount: float, rng: np.random.Generator) -> torch.Tensor:
    """Random brightness, contrast and saturation per sample (factors in 1 +- amount)."""
    if amount <= 0:
        return x
    b = x.shape[0]
    f = torch.tensor(rng.uniform(1 - amount, 1 + amount, (3, b, 1, 1, 1)), dtype=x.dtype,
                     device=x.device)
    x = x * f[0]
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * f[1] + mean
    gray = x.mean(dim=1, keepdim=True)
    x = (x - gray) * f[2] + gray
    return x.clamp(0, 1)


def camera_effects(x: torch.Tensor, cfg: TrainConfig, rng: np.random.Generator) -> torch.Tensor:
    """Exposure (gamma), white balance (channel gain), defocus (blur) and sensor noise, each
    drawn per sample: the conditions of other sequences, other cameras, dusk."""
    out = []
    for image in x:
        gamma = math.exp(rng.uniform(math.log(cfg.gamma[0]), math.log(cfg.gamma[1])))
        image = image.clamp(1e-4, 1) ** gamma
        if cfg.channel_gain > 0:
            gain = rng.uniform(1 - cfg.channel_gain, 1 + cfg.channel_gain, 3)
            image = image * torch.tensor(gain, dtype=image.dtype, device=image.device)[:, None, None]
        if rng.random() < cfg.blur:
            sigma = rng.uniform(0.5, 1.5)
            r = torch.arange(-3, 4, dtype=image.dtype, device=image.device)
            k = torch.exp(-r ** 2 / (2 * sigma ** 2))
            k = (k / k.sum()).view(1, 1, 1, 7).expand(3, 1, 1, 7)
            image = F.conv2d(F.pad(image[None], (3, 3, 0, 0), mode="replicate"), k, groups=3)
            image = F.conv2d(F.pad(image, (0, 0, 3, 3), mode="replicate"),
                             k.transpose(2, 3), groups=3)[0]
        if rng.random() < cfg.noise:
            image = image + torch.randn(image.shape).to(image.device) * rng.uniform(0.005, 0.03)
        out.append(image.clamp(0, 1))
    return torch.stack(out)


def make_batch(images: np.ndarray, labels: np.ndarray, teachers: list[np.ndarray],
               idx: np.ndarray, cfg: TrainConfig, num_classes: int, rng: np.random.Generator,
               device: torch.device = torch.device("cpu")
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Augmented (images, labels with IGNORE, teacher log-probabilities K x B x C x H x W or
    None without teachers) for indices ``idx``, on ``device``.

    Only the selected frames leave the (CPU, possibly memory-mapped) arrays, in their stored
    types (uint8, float16); warping and camera effects run on ``device``. Random draws come
    from ``rng`` (and torch's CPU generator for noise) on every device alike.
    """
    grid = random_grid(len(idx), images.shape[1:3], cfg.crop, cfg.scale, rng).to(device)
    x = torch.from_numpy(images[idx]).to(device).permute(0, 3, 1, 2).float() / 255.0
    x = colour_jitter(F.grid_sample(x, grid, "bilinear", "zeros", align_corners=False),
                      cfg.jitter, rng)
    x = camera_effects(x, cfg, rng)
    lab = torch.from_numpy(labels[idx]).to(device).long()
    lab = torch.where(lab < num_classes, lab + 1, torch.zeros_like(lab)).float()[:, None]
    y = F.grid_sample(lab, grid, "nearest", "zeros", align_corners=False)[:, 0].long() - 1
    y[y < 0] = IGNORE
    if not teachers:
        return x, y, None
    inside = F.grid_sample(torch.ones_like(lab), grid, "nearest", "zeros", align_corners=False)
    warped = []
    for teacher in teachers:
        t = torch.from_numpy(np.stack([teacher[i] for i in idx])).to(device).float()
        t = F.grid_sample(t, grid, "bilinear", "border", align_corners=False)
        warped.append(torch.where(inside > 0, t, torch.full_like(t, float("nan"))))
    return x, y, torch.stack(warped)


def distillation_loss(logits: torch.Tensor, teachers: torch.Tensor, temperature: float,
                      weights: list[float] | None = None) -> torch.Tensor:
    """Per-pixel KL(teacher mixture || student) at ``temperature``.

    ``teachers``: K x B x C x H x W log-probabilities (or logits) over the student's C
    classes; the target is the ``weights``-mixture (default: equal) of their tempered
    softmaxes. Pixels where a teacher is NaN (outside the source frame) are skipped.
    """
    valid = ~torch.isnan(teachers[:, :, 0]).any(0)
    if not valid.any():
        return logits.sum() * 0
    weights = weights or [1.0 / len(teachers)] * len(teachers)
    tempered = F.softmax(torch.nan_to_num(teachers) / temperature, dim=2)
    p_t = sum(w * p for w, p in zip(weights, tempered))
    log_pt = torch.log(p_t.clamp_min(1e-12))
    log_ps = F.log_softmax(logits / temperature, dim=1)
    kl = (p_t * (log_pt - log_ps)).sum(1)
    return kl[valid].mean() * temperature ** 2


@torch.no_grad()
def evaluate(model: SpicSegNet, images: np.ndarray, labels: np.ndarray) -> ConfusionMatrix:
    """Confusion matrix of full-frame predictions (model switched to eval mode)."""
    model.eval()
    device = next(model.parameters()).device
    cm = ConfusionMatrix(model.config.num_classes)
    for image, truth in zip(images, labels):
        x = torch.from_numpy(image).to(device).permute(2, 0, 1)[None].float() / 255.0
        cm.update(truth, model(x)[0].argmax(0).to(torch.uint8).cpu().numpy())
    return cm


def lr_factor(step: int, progress: float, warmup: int) -> float:
    return min(1.0, (step + 1) / max(warmup, 1)) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


class Trainer:
    """One training run; ``run()`` trains until the step or time budget is spent."""

    def __init__(self, cfg: TrainConfig, resume: bool = False) -> None:
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.rng = np.random.default_rng(cfg.seed)
        torch.manual_seed(cfg.seed)
        train = load_samples(cfg.data, cfg.train_split)[: cfg.max_train]
        val = load_samples(cfg.data, cfg.val_split)[: cfg.max_val]
        init = load_model(cfg.init) if cfg.init else None
        if init is not None and init.config.label_set != train[0].label_set:
            raise ValueError(f"--init weights label {init.config.label_set}, the data "
                             f"{train[0].label_set}")
        model_cfg = (init.config if init is not None else
                     SpicSegNetConfig.from_dict({"label_set": train[0].label_set, **cfg.model}))
        label_set = get_label_set(model_cfg.label_set)
        if model_cfg.num_classes != label_set.num_classes:
            model_cfg = SpicSegNetConfig.from_dict({**model_cfg.to_dict(),
                                                    "num_classes": label_set.num_classes})
        if cfg.teachers:  # lineage: evaluations flag judges this model was distilled from
            teachers = sorted({*model_cfg.extra.get("distilled_from", []),
                               *(Path(t).name for t in cfg.teachers)})
            extra = {**model_cfg.extra, "distilled_from": teachers}
            model_cfg = SpicSegNetConfig.from_dict({**model_cfg.to_dict(), "extra": extra})
        self.model = SpicSegNet(model_cfg)
        if init is not None:
            self.model.load_state_dict(init.state_dict())
        self.device = resolve_device(cfg.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # one crop size, one frame size
        self.model = self.model.to(self.device, memory_format=torch.channels_last)
        self.images, self.labels = load_arrays(train)
        self.val_images, self.val_labels = load_arrays(val)
        from spic.segmentation.distillation import teacher_log_probs

        self.teachers = [teacher_log_probs(t, train, cfg.cache, threads=torch.get_num_threads(),
                                        progress=cfg.progress) for t in cfg.teachers]
        self.weights = class_weights(self.labels, model_cfg.num_classes,
                                     cfg.class_weight_c).to(self.device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr,
                                           weight_decay=cfg.weight_decay)
        self.state = {"step": 0, "elapsed_s": 0.0, "best_miou": -1.0, "history": []}
        if resume and (self.out / "last" / "train_state.json").exists():
            self.state = load_training_state(self.out / "last", self.model, self.optimizer)
        self.out.mkdir(parents=True, exist_ok=True)
        run_config = {**asdict(self.cfg), "device": self.device.type}  # where it really ran
        (self.out / "train_config.json").write_text(json.dumps(run_config, indent=1) + "\n")

    def progress(self) -> float:
        done = [self.state["step"] / self.cfg.max_steps] if self.cfg.max_steps else []
        if self.cfg.max_minutes:
            done.append(self.state["elapsed_s"] / (60 * self.cfg.max_minutes))
        return max(done)

    def train_step(self) -> dict:
        cfg, model = self.cfg, self.model
        model.train()
        idx = self.rng.choice(len(self.images), cfg.batch, replace=len(self.images) < cfg.batch)
        x, y, t = make_batch(self.images, self.labels, self.teachers, idx, cfg,
                             model.config.num_classes, self.rng, self.device)
        lr = cfg.lr * lr_factor(self.state["step"], self.progress(), cfg.warmup)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        logits = model(x.contiguous(memory_format=torch.channels_last))
        ce = F.cross_entropy(logits, y, weight=self.weights, ignore_index=IGNORE)
        loss = ce
        kd = torch.zeros((), device=self.device)
        if t is not None and cfg.kd_weight > 0:
            kd = distillation_loss(logits, t, cfg.temperature, cfg.mixture())
            loss = ce + cfg.kd_weight * kd
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.item(), "ce": ce.item(), "kd": kd.item(), "lr": lr}

    def evaluate_and_save(self, last: dict) -> float:
        cm = evaluate(self.model, self.val_images, self.val_labels)
        miou = cm.mean_iou()
        entry = {"step": self.state["step"], "elapsed_s": round(self.state["elapsed_s"], 1),
                 "val_miou": round(100 * miou, 2), "val_pixel_acc": round(100 * cm.pixel_accuracy(), 2),
                 **{k: round(v, 5) for k, v in last.items()}}
        self.state["history"].append(entry)
        if miou > self.state["best_miou"]:
            self.state["best_miou"] = miou
            save_model(self.model, self.out / "best")
            (self.out / "best" / "metrics.json").write_text(json.dumps(
                {**entry, "per_class_iou": [round(100 * v, 2) for v in cm.iou()]}, indent=1) + "\n")
        save_training_state(self.out / "last", self.model, self.optimizer, self.state)
        (self.out / "history.json").write_text(json.dumps(self.state["history"], indent=1) + "\n")
        return miou

    def run(self) -> dict:
        """Train to the budget, evaluating every ``eval_every`` steps and at the end."""
        cfg = self.cfg
        bar = tqdm(desc="train", disable=not cfg.progress, initial=self.state["step"],
                   total=cfg.max_steps)
        first_loss, last = None, {}
        while self.progress() < 1.0:
            start = time.monotonic()
            last = self.train_step()
            first_loss = last["loss"] if first_loss is None else first_loss
            self.state["step"] += 1
            self.state["elapsed_s"] += time.monotonic() - start
            bar.update(1)
            bar.set_postfix(loss=f"{last['loss']:.3f}", lr=f"{last['lr']:.2e}")
            if self.state["step"] % cfg.eval_every == 0:
                start = time.monotonic()
                miou = self.evaluate_and_save(last)
                self.state["elapsed_s"] += time.monotonic() - start
                bar.write(f"step {self.state['step']}: val mIoU {100 * miou:.2f}")
        bar.close()
        if last and self.state["step"] % cfg.eval_every:
            self.evaluate_and_save(last)
        return {"first_loss": first_loss, **self.state}

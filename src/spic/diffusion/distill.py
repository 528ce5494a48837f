"""One-step SCSRDM: a student distilled from the guided multi-step sampler (the teacher).

Method. The teacher is the shipped model sampled in ``quality`` mode (20 DDIM steps,
classifier-free guidance 4, eta 0.2, from the coarse image at t = 192). Its outputs are
precomputed once per training frame (full frames, cached as PNG). The student starts from
the teacher's weights plus a zero-initialised full-resolution head (:class:`Refine`) and is
called once, at t_start on x_t = coarse image (the ``paper`` start state), with the map
only: guidance is folded into its weights because it only ever learns the guided result.
This is one-step regression distillation onto precomputed teacher samples (as in the
"knowledge distillation" baseline of Luhman & Luhman 2021 and the one-step SR students of
SinSR), with an LPIPS term so that the student keeps the texture an L1 fit would average away,
and a coarse-consistency term, since the receiver knows the decoded coarse image exactly:

    L = w_l1 |x - teacher|_1 + w_lpips LPIPS(x, teacher) + w_real LPIPS(x, frame)
        + w_real_l1 |x - frame|_1 + w_coarse |area_avg(x) - coarse|_1 + w_grid grid(x - frame)

``grid`` is the spread of the high-pass error's mean at each of the 4 x 4 pixel positions
modulo the U-Net's pixel-shuffle period (:func:`grid_loss`): a pattern repeating every 4
pixels that a perceptual loss tolerates and people see (tools/artefact_probe.py measures
the same quantity on whole frames). ``init`` fine-tunes an existing student instead of
starting from the teacher. ``student_maps="segmenter"`` gives the student the embedded
vehicle segmenter's map of each training frame, the kind of map it decodes at run time
(errors included), while the teacher's samples and the real frames stay the targets.

A one-step student samples with ``SamplingConfig(num_steps=1)``: one U-Net pass per frame.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from spic.diffusion.checkpoint import (ModelCard, load_model, load_state_into, load_train_state,
                                       save_model, save_train_state, STATE_JSON, WEIGHTS_NAME)
from spic.diffusion.data import CropSampler, Frame, dataset_frames
from spic.diffusion.pipeline import SAMPLING_MODES, SamplingConfig, SCSRDMPipeline
from spic.diffusion.schedulers import NoiseSchedule
from spic.diffusion.train import optimise
from spic.diffusion.unet import SCSRDMUNet, UNetConfig, pointwise_spade
from spic.runtime import resolve_device, set_torch_threads


def default_cache_dir() -> Path:
    """Caches live outside the work tree: ``$XDG_CACHE_HOME/spic`` (default ``~/.cache/spic``)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "spic"


@dataclass
class DistillConfig:
    """A distillation run (saved into the student's model card)."""

    data: str = "camvid:../shared/data/camvid"
    train_split: str = "fit"
    teacher: str | None = None  # model folder; default: the embedded quality-mode weights
    teacher_sampling: SamplingConfig = field(default_factory=lambda: SAMPLING_MODES["quality"])
    out_dir: str = str(Path.home() / "spic_runs" / "scsrdm_fast")  # outside the work tree
    cache_dir: str = str(default_cache_dir() / "scsrdm")
    refine_channels: int = 16
    crop: int = 192
    batch_size: int = 4
    steps: int = 8000
    lr: float = 1e-4
    warmup_steps: int = 100
    ema_decay: float = 0.995
    grad_clip: float = 1.0
    # loss weights: the shipped student's second phase, chosen on the selection split
    w_l1: float = 0.5
    w_lpips: float = 0.5
    w_real: float = 2.0
    w_real_l1: float = 0.5
    w_coarse: float = 2.0
    w_grid: float = 0.0
    init: str | None = None  # a student model folder to fine-tune; default: from the teacher
    spade_kernel: int | None = None  # 1: pointwise SPADE modulations; None: as the init's
    student_maps: str = "labels"  # or "segmenter": the embedded vehicle segmenter's maps
    checkpoint_every: int = 250
    snapshot_every: int = 1000
    seed: int = 0
    threads: int = 1  # as fast as 2 on 2 cores alone, and 3.5x faster beside another process
    device: str = "auto"
    bf16: bool = False
    progress: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def teacher_outputs(frames: list[Frame], teacher: Path, teacher_sha256: str,
                    sampling: SamplingConfig, cache_dir: Path, device: torch.device, bf16: bool,
                    progress: bool = False) -> list[np.ndarray]:
    """The teacher's sample of every frame, cached by teacher weights, sampling and frame.

    The cache key covers the teacher's weights (``teacher_sha256``), the sampling settings
    and each frame's coarse image and map (sha1 of their bytes): any change recomputes.
    """
    settings = asdict(sampling)
    if settings["residual_scale"] == 1.0:  # the default: keys made before the field stay valid
        del settings["residual_scale"]
    key = hashlib.sha1(json.dumps([teacher_sha256, settings],
                                  sort_keys=True).encode()).hexdigest()[:12]
    folder = cache_dir / f"teacher-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    pipe = None
    outputs = []
    iterator = frames
    if progress:
        from tqdm import tqdm
        iterator = tqdm(frames, desc="teacher samples", leave=False)
    for f in iterator:
        digest = hashlib.sha1(f.coarse_up.tobytes() + f.labels.tobytes()).hexdigest()[:12]
        path = folder / f"{f.name}-{digest}.png"
        if path.exists():
            with Image.open(path) as img:
                outputs.append(np.array(img))
            continue
        if pipe is None:
            model, card = load_model(teacher)
            pipe = SCSRDMPipeline(model.to(device), NoiseSchedule(card.schedule), bf16=bf16)
        out = pipe(f.coarse_up, f.labels, sampling)
        tmp = path.with_suffix(".tmp.png")
        Image.fromarray(out).save(tmp)
        tmp.replace(path)
        outputs.append(out)
    return outputs


def student_frames(frames: list[Frame], cfg: DistillConfig, coarse) -> list[Frame]:
    """The frames as the student sees them: with the labels, or with the embedded vehicle
    segmenter's maps (``cfg.student_maps``, cached by the segmenter's weights)."""
    if cfg.student_maps == "labels":
        return frames
    if cfg.student_maps != "segmenter":
        raise ValueError(f"student_maps must be labels or segmenter, got {cfg.student_maps!r}")
    from spic.segmentation.export import DEFAULT_WEIGHTS as SEGMENTER_WEIGHTS
    from spic.segmentation.spic_segmenter import SpicSegmenter

    tag = "spic-" + _sha256(SEGMENTER_WEIGHTS / "model.safetensors")[:12]
    predicted = dataset_frames(cfg.data, cfg.train_split, coarse, Path(cfg.cache_dir),
                               segmenter=SpicSegmenter(threads=cfg.threads), segmenter_tag=tag,
                               progress=cfg.progress)
    return [replace(f, labels=p.labels) for f, p in zip(frames, predicted, strict=True)]


def student_from_teacher(teacher: SCSRDMUNet, refine_channels: int) -> SCSRDMUNet:
    """The teacher's architecture and weights, plus a fresh (identity) full-resolution head."""
    config = UNetConfig.from_dict(dict(teacher.config.to_dict(), refine_channels=refine_channels))
    student = SCSRDMUNet(config)
    state = student.state_dict()
    state.update(teacher.state_dict())
    load_state_into(student, state, Path("<teacher>"))
    return student


def initial_student(cfg: DistillConfig, teacher: SCSRDMUNet) -> SCSRDMUNet:
    """The model a run starts from: ``cfg.init``'s weights, or the teacher's plus an identity
    head; with pointwise SPADE modulations when ``cfg.spade_kernel`` asks for them."""
    if cfg.init:
        model = load_model(Path(cfg.init))[0]
    else:
        model = student_from_teacher(teacher, cfg.refine_channels)
    if cfg.spade_kernel not in (None, model.config.spade_kernel):
        if cfg.spade_kernel != 1:
            raise ValueError(f"SPADE kernels convert from 3 to 1 only, not to {cfg.spade_kernel}")
        model = pointwise_spade(model)
    return model


def one_step(model: torch.nn.Module, schedule: NoiseSchedule, coarse: torch.Tensor,
             labels: torch.Tensor, t_start: int) -> torch.Tensor:
    """The student's sample: x0 predicted from x_t = coarse at ``t_start`` (one U-Net pass)."""
    t = torch.full((coarse.shape[0],), t_start, device=coarse.device)
    out = model(coarse, t, coarse, labels)
    return schedule.split_prediction(out.float(), coarse, t, coarse)[0]


def grid_loss(error: torch.Tensor, period: int) -> torch.Tensor:
    """Mean absolute deviation of the ``period`` x ``period`` phase means of the high-pass
    ``error`` (N x C x H x W; minus its 5x5 box mean, borders cut) from their own mean, per
    image and channel: zero unless the error repeats with the pixel-shuffle period."""
    high = error[..., 2:-2, 2:-2] - F.avg_pool2d(error, 5, stride=1)  # no padding effects
    h, w = (s - s % period for s in high.shape[-2:])
    phases = F.pixel_unshuffle(high[..., :h, :w], period).unflatten(1, (high.shape[1], -1))
    means = phases.mean(dim=(-2, -1))  # N x C x period^2
    return (means - means.mean(-1, keepdim=True)).abs().mean()


class DistillLoss(torch.nn.Module):
    """The weighted loss of the module docstring; returns the total and its parts."""

    def __init__(self, cfg: DistillConfig, downscale: int) -> None:
        super().__init__()
        from spic.eval.lpips import Lpips
        self.cfg, self.downscale = cfg, downscale
        self.lpips = Lpips("alex") if cfg.w_lpips or cfg.w_real else None

    def forward(self, x: torch.Tensor, batch: dict[str, torch.Tensor]
                ) -> tuple[torch.Tensor, dict[str, float]]:
        cfg, parts = self.cfg, {}
        teacher = batch["teacher"]
        parts["l1"] = F.l1_loss(x, teacher)
        if self.lpips is not None:
            if cfg.w_lpips:
                parts["lpips"] = self.lpips.batch_distance(x, teacher).mean()
            if cfg.w_real:
                parts["real"] = self.lpips.batch_distance(x, batch["target"]).mean()
        if cfg.w_real_l1:
            parts["real_l1"] = F.l1_loss(x, batch["target"])
        parts["coarse"] = F.l1_loss(F.avg_pool2d(x, self.downscale), batch["coarse_small"])
        if cfg.w_grid:
            parts["grid"] = grid_loss(x - batch["target"], self.downscale)
        weights = {"l1": cfg.w_l1, "lpips": cfg.w_lpips, "real": cfg.w_real,
                   "real_l1": cfg.w_real_l1, "coarse": cfg.w_coarse, "grid": cfg.w_grid}
        total = sum(weights[k] * v for k, v in parts.items())
        return total, {k: float(v.detach()) for k, v in parts.items()}


def distill(cfg: DistillConfig) -> dict:
    """Train (or resume from ``out_dir/checkpoint``) the one-step student; returns the last log."""
    from spic.reconstruction.scsrdm import DEFAULT_WEIGHTS

    set_torch_threads(cfg.threads)
    device = resolve_device(cfg.device)
    teacher_dir = Path(cfg.teacher) if cfg.teacher else DEFAULT_WEIGHTS
    teacher, card = load_model(teacher_dir)
    teacher_sha256 = _sha256(teacher_dir / WEIGHTS_NAME)
    frames = dataset_frames(cfg.data, cfg.train_split, card.coarse, Path(cfg.cache_dir),
                            progress=cfg.progress)
    targets = teacher_outputs(frames, teacher_dir, teacher_sha256, cfg.teacher_sampling,
                              Path(cfg.cache_dir), device, cfg.bf16, cfg.progress)
    frames = student_frames(frames, cfg, card.coarse)
    schedule = NoiseSchedule(card.schedule)
    t_start = cfg.teacher_sampling.t_start
    out = Path(cfg.out_dir)
    ckpt = out / "checkpoint"

    torch.manual_seed(cfg.seed)
    model = initial_student(cfg, teacher).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    step, wall = 0, 0.0
    if (ckpt / STATE_JSON).exists():
        state = load_train_state(ckpt, model, optimizer)
        ema.load_state_dict(load_model(ckpt)[0].state_dict())
        step, wall = int(state["step"]), float(state.get("wall_seconds", 0.0))
    loss_fn = DistillLoss(cfg, card.coarse.downscale).to(device)
    sampler = CropSampler(frames, cfg.crop, align=card.coarse.downscale, teacher=targets)
    rng = np.random.default_rng([cfg.seed, step])
    teacher_info = {"path": str(teacher_dir), "sha256": teacher_sha256,
                    "sampling": asdict(cfg.teacher_sampling)}

    def save(folder: Path, extra: dict) -> None:
        info = {"kind": "one-step student", "sampling": asdict(SAMPLING_MODES["fast"]),
                "teacher": teacher_info, "distill": cfg.to_dict(), "step": step,
                "wall_seconds": round(wall, 1), **extra}
        save_model(folder, ema, ModelCard(model.config, card.schedule, card.label_set,
                                          card.coarse, info))

    bar = None
    if cfg.progress:
        from tqdm import tqdm
        bar = tqdm(total=cfg.steps, initial=step, desc="distill", dynamic_ncols=True)
    out.mkdir(parents=True, exist_ok=True)
    recent: list[dict] = []
    summary: dict = {"step": step}
    model.train()
    while step < cfg.steps:
        t0 = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = cfg.lr * min(1.0, (step + 1) / max(1, cfg.warmup_steps))
        batch = {k: v.to(device) for k, v in sampler.batch(cfg.batch_size, rng).items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            x = one_step(model, schedule, batch["coarse"], batch["labels"].long(), t_start)
            loss, parts = loss_fn(x.float(), batch)
        optimise(loss, model, optimizer, ema, step, cfg.grad_clip, cfg.ema_decay)
        step += 1
        wall += time.perf_counter() - t0
        recent.append(dict(parts, loss=float(loss.detach())))
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean([r['loss'] for r in recent[-50:]]):.4f}")
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            window = recent[-cfg.checkpoint_every:]
            summary = {"step": step, "wall_seconds": round(wall, 1),
                       **{k: float(np.mean([r[k] for r in window])) for k in window[0]}}
            save(ckpt, {"summary": summary})
            save_train_state(ckpt, model, optimizer, {"step": step, "wall_seconds": wall})
            if cfg.snapshot_every and step % cfg.snapshot_every == 0:
                save(out / "snapshots" / f"step_{step:06d}", {"summary": summary})
            with (out / "log.jsonl").open("a") as fh:
                fh.write(json.dumps(summary) + "\n")
    if bar is not None:
        bar.close()
    return summary

"""Training loop for SCSRDM: AdamW, EMA, condition dropout, DDP, resume, validation.

Runs single-process, or under ``torchrun --nproc-per-node N`` with
DistributedDataParallel (gloo on CPU, nccl on CUDA). Rank 0 writes the progress bar,
``log.jsonl``, validation grids and checkpoints to ``out_dir``::

    out_dir/checkpoint/{config.json, model.safetensors (EMA), train_state.*}
    out_dir/val/step_XXXXXXX.png
"""

from __future__ import annotations

import base64
import copy
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from PIL import Image

from spic.diffusion.checkpoint import (CheckpointError, ModelCard, load_model, load_train_state,
                                       save_model, save_train_state, STATE_JSON)
from spic.diffusion.data import CoarseSpec, CropSampler, Frame, dataset_frames
from spic.diffusion.pipeline import SamplingConfig, SCSRDMPipeline
from spic.diffusion.schedulers import NoiseSchedule, ScheduleConfig
from spic.diffusion.unet import SCSRDMUNet, UNetConfig
from spic.eval.psnr import psnr
from spic.labelsets import get_label_set


@dataclass
class TrainConfig:
    """Everything a training run needs (saved into the checkpoint's ``info``)."""

    data: str = "camvid:../shared/data/camvid"
    train_split: str = "fit"  # CamVid train minus the committed selection split
    val_split: str = "selection"  # checkpoints and hyper-parameters are chosen here
    train_limit: int | None = None
    label_set: str = "camvid11"
    out_dir: str = "runs/scsrdm"
    cache_dir: str | None = ".cache/scsrdm"
    coarse: CoarseSpec = field(default_factory=CoarseSpec)
    unet: UNetConfig = field(default_factory=UNetConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    crop: int = 128
    batch_size: int = 8
    steps: int = 10000
    lr: float = 2e-4
    warmup_steps: int = 200
    decay_from: int | None = None  # if set, lr falls linearly from here to 0 at ``steps``
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    cond_dropout: float = 0.1
    focus_t_max: int | None = None  # if set, most timesteps are drawn from [0, focus_t_max]
    focus_prob: float = 0.75
    paper_start_prob: float = 0.1  # share of samples whose x_t is the coarse image at t_start
    checkpoint_every: int = 250
    val_every: int = 1000
    val_frames: int = 4
    val_sampling: SamplingConfig = field(default_factory=SamplingConfig)
    seed: int = 0
    threads: int = 1
    bf16: bool = False  # bfloat16 autocast (about 1.6x faster on CPUs with avx512_bf16)
    segmenter: str | None = None  # SEGMENTERS name: train on its predictions instead of GT
    segmenter_options: dict = field(default_factory=dict)
    resume: bool = True
    progress: bool = True

    def to_dict(self) -> dict:
        d = asdict(self)
        d["unet"] = self.unet.to_dict()
        return d


def _ddp_setup() -> tuple[int, int, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
    rank = dist.get_rank() if dist.is_initialized() else 0
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    return rank, world, device


def sample_timesteps(n: int, cfg: TrainConfig, total: int, gen: torch.Generator) -> torch.Tensor:
    """Uniform timesteps, optionally focused on [0, focus_t_max] with probability focus_prob."""
    t = torch.randint(0, total, (n,), generator=gen)
    if cfg.focus_t_max is not None:
        focused = torch.randint(0, cfg.focus_t_max + 1, (n,), generator=gen)
        use = torch.rand(n, generator=gen) < cfg.focus_prob
        t = torch.where(use, focused, t)
    return t


def diffusion_loss(model: torch.nn.Module, schedule: NoiseSchedule, batch: dict,
                   t: torch.Tensor, cond_dropout: float, gen: torch.Generator,
                   void_label: int, paper_start: tuple[float, int] | None = None) -> torch.Tensor:
    """MSE between the model output and the schedule's target, with SSM dropout.

    ``paper_start = (p, t_start)``: with probability p a sample's x_t is the upsampled
    coarse image at ``t_start`` (the ``paper`` start state); its "noise" is whatever
    makes that x_t consistent with the target, so the first sampling step is in-distribution.
    """
    x0, coarse, labels = batch["target"], batch["coarse"], batch["labels"].long()
    b = x0.shape[0]
    noise = torch.randn(x0.shape, generator=gen).to(x0.device)
    if cond_dropout > 0:
        drop = (torch.rand(b, generator=gen) < cond_dropout).to(x0.device)
        labels = torch.where(drop[:, None, None], torch.full_like(labels, void_label), labels)
    if paper_start is not None and paper_start[0] > 0:
        use = torch.rand(b, generator=gen) < paper_start[0]
        t = torch.where(use, torch.full_like(t, paper_start[1]), t)
        a = schedule.alphas_cumprod[t].float().reshape(-1, 1, 1, 1).to(x0.device)
        implied = (coarse - a.sqrt() * x0) / (1 - a).sqrt()
        noise = torch.where(use.to(x0.device)[:, None, None, None], implied, noise)
    t = t.to(x0.device)
    x_t = schedule.add_noise(x0, noise, t)
    out = model(x_t, t, coarse, labels)
    return torch.nn.functional.mse_loss(out, schedule.target(x0, noise, t, coarse))


@torch.no_grad()
def learning_rate(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up to ``cfg.lr``, then constant, or a linear decay to 0 from ``decay_from``."""
    lr = cfg.lr * min(1.0, (step + 1) / max(1, cfg.warmup_steps))
    if cfg.decay_from is not None and step >= cfg.decay_from:
        lr *= max(0.0, (cfg.steps - step) / max(1, cfg.steps - cfg.decay_from))
    return lr


def update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    for e, p in zip(ema.parameters(), model.parameters()):
        e.lerp_(p.detach(), 1 - decay)
    for e, b in zip(ema.buffers(), model.buffers()):
        e.copy_(b)


def optimise(loss: torch.Tensor, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
             ema: torch.nn.Module, step: int, grad_clip: float, ema_decay: float) -> None:
    """One optimiser step on ``loss`` (gradient clipping when ``grad_clip``), then the EMA
    update with the usual warm-up of its decay."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    update_ema(ema, model, min(ema_decay, (1 + step) / (10 + step)))


def validate(model: SCSRDMUNet, schedule: NoiseSchedule, frames: list[Frame],
             sampling: SamplingConfig, grid_path: Path | None) -> dict:
    """Sample the validation frames; PSNR of the reconstruction and of bicubic; grid PNG."""
    pipe = SCSRDMPipeline(model, schedule)
    rows, ours, bicubic = [], [], []
    for f in frames:
        out = pipe(f.coarse_up, f.labels, sampling)
        ours.append(psnr(out, f.rgb))
        bicubic.append(psnr(f.coarse_up, f.rgb))
        rows.append(np.concatenate([f.coarse_up, out, f.rgb], axis=1))
    model.train()
    if grid_path is not None and rows:
        grid_path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.concatenate(rows, axis=0)).save(grid_path)
    return {"val_psnr": float(np.mean(ours)), "val_psnr_bicubic": float(np.mean(bicubic))}


def _build_segmenter(cfg: TrainConfig):
    if cfg.segmenter is None:
        return None
    from spic.segmentation import SEGMENTERS
    return SEGMENTERS.create(cfg.segmenter, **cfg.segmenter_options)


@dataclass
class TrainResult:
    """The last logged summary (step, loss, val numbers) and this rank's final models."""

    summary: dict
    model: SCSRDMUNet
    ema: SCSRDMUNet


def train(cfg: TrainConfig) -> TrainResult:
    """Train (or resume from ``out_dir/checkpoint``) up to ``cfg.steps`` optimiser steps."""
    torch.set_num_threads(cfg.threads)
    rank, world, device = _ddp_setup()
    labels = get_label_set(cfg.label_set)
    if labels.num_classes != cfg.unet.num_classes:
        raise ValueError(f"label set {labels.id} has {labels.num_classes} classes, "
                         f"U-Net config says {cfg.unet.num_classes}")
    if cfg.crop % cfg.unet.pad_multiple:
        raise ValueError(f"crop {cfg.crop} must be a multiple of {cfg.unet.pad_multiple}")
    out = Path(cfg.out_dir)
    ckpt = out / "checkpoint"
    cache = Path(cfg.cache_dir) if cfg.cache_dir else None
    segmenter = _build_segmenter(cfg)
    seg_tag = json.dumps([cfg.segmenter, cfg.segmenter_options], sort_keys=True)

    def frames(split: str, limit: int | None) -> list[Frame]:
        return dataset_frames(cfg.data, split, cfg.coarse, cache, limit, segmenter, seg_tag,
                              progress=cfg.progress and rank == 0)

    if rank == 0:  # build the cache once before the other ranks read it
        train_frames = frames(cfg.train_split, cfg.train_limit)
    if world > 1:
        dist.barrier()
    if rank != 0:
        train_frames = frames(cfg.train_split, cfg.train_limit)
    val_frames = frames(cfg.val_split, cfg.val_frames) if rank == 0 and cfg.val_frames else []

    torch.manual_seed(cfg.seed)
    model = SCSRDMUNet(cfg.unet).to(device)
    schedule = NoiseSchedule(cfg.schedule)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    step, wall, state = 0, 0.0, {}
    if cfg.resume and (ckpt / STATE_JSON).exists():
        state = load_train_state(ckpt, model, optimizer)
        ema_model, card = load_model(ckpt)
        if card.unet.to_dict() != cfg.unet.to_dict() or card.schedule != cfg.schedule:
            raise CheckpointError(f"{ckpt}: architecture or noise schedule differs from this "
                                  "run's config (pass the same flags, or --no-resume)")
        ema.load_state_dict(ema_model.state_dict())
        step, wall = int(state["step"]), float(state.get("wall_seconds", 0.0))
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    sampler = CropSampler(train_frames, cfg.crop, align=cfg.coarse.downscale)
    rng = np.random.default_rng([cfg.seed, rank, step])
    gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + rank * 7919 + step)
    if step and rank == 0 and "rng" in state:  # exact continuation of rank 0's random streams
        rng.bit_generator.state = state["rng"]["numpy"]
        gen.set_state(torch.frombuffer(bytearray(base64.b64decode(state["rng"]["torch"])),
                                       dtype=torch.uint8))

    def checkpoint(extra: dict) -> None:
        info = {"train": cfg.to_dict(), "step": step, "wall_seconds": wall,
                "world_size": world, **extra}
        card = ModelCard(cfg.unet, cfg.schedule, cfg.label_set, cfg.coarse, info)
        save_model(ckpt, ema, card)
        rng_state = {"numpy": rng.bit_generator.state,
                     "torch": base64.b64encode(gen.get_state().numpy().tobytes()).decode()}
        save_train_state(ckpt, model, optimizer,
                         {"step": step, "wall_seconds": wall, "rng": rng_state})

    bar = None
    if rank == 0 and cfg.progress:
        from tqdm import tqdm
        bar = tqdm(total=cfg.steps, initial=step, desc="train-decoder", dynamic_ncols=True)
    log = (out / "log.jsonl") if rank == 0 else None
    if log is not None:
        out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"step": step}
    losses: list[float] = []
    model.train()
    while step < cfg.steps:
        t0 = time.perf_counter()
        lr = learning_rate(cfg, step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = {k: v.to(device) for k, v in sampler.batch(cfg.batch_size, rng).items()}
        t = sample_timesteps(cfg.batch_size, cfg, schedule.num_train_timesteps, gen)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            loss = diffusion_loss(net, schedule, batch, t, cfg.cond_dropout, gen,
                                  labels.num_classes,
                                  (cfg.paper_start_prob, cfg.val_sampling.t_start))
        optimise(loss, model, optimizer, ema, step, cfg.grad_clip, cfg.ema_decay)
        step += 1
        wall += time.perf_counter() - t0
        losses.append(float(loss.detach()))
        if rank != 0:
            continue
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
        record: dict = {}
        if cfg.val_every and val_frames and step % cfg.val_every == 0:
            record = validate(ema, schedule, val_frames, cfg.val_sampling,
                              out / "val" / f"step_{step:07d}.png")
        if step % cfg.checkpoint_every == 0 or step == cfg.steps or record:
            checkpoint(record)
            summary = {"step": step, "loss": float(np.mean(losses[-cfg.checkpoint_every:])),
                       "wall_seconds": round(wall, 1), "lr": lr, **record}
            with log.open("a") as fh:
                fh.write(json.dumps(summary) + "\n")
    if bar is not None:
        bar.close()
    if world > 1:
        dist.barrier()
    summary["final_loss"] = float(np.mean(losses[-20:])) if losses else None
    return TrainResult(summary, model, ema)

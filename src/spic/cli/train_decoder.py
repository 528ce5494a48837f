"""``spic train-decoder``: train (or resume, or export) the SCSRDM diffusion decoder.

Single process::  spic train-decoder --data camvid:../shared/data/camvid --out runs/scsrdm
Several:          torchrun --nproc-per-node 2 -m spic.cli.train_decoder ... (same args)
Export EMA:       spic train-decoder --out runs/scsrdm --export src/spic/weights/scsrdm
"""

from __future__ import annotations

import argparse
import json

from spic.diffusion.data import CoarseSpec
from spic.diffusion.schedulers import PREDICTION_TYPES, ScheduleConfig
from spic.diffusion.unet import UNetConfig

LABEL_SET_OF = {"camvid": "camvid11", "cityscapes": "cityscapes19"}


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(",") if v.strip())


def add_arguments(parser: argparse.ArgumentParser, command: str = "train-decoder") -> None:
    from spic.diffusion.train import TrainConfig

    u, t = UNetConfig(), TrainConfig()
    parser.add_argument("--data", default=t.data, help="KIND:DIR, KIND in camvid, cityscapes")
    parser.add_argument("--out", default=t.out_dir, help="run folder (checkpoint/, val/, log.jsonl)")
    parser.add_argument("--export", metavar="DIR",
                        help="copy the run's EMA model (config.json + model.safetensors) to DIR and exit")
    parser.add_argument("--steps", type=int, default=t.steps, help="total optimiser steps")
    parser.add_argument("--batch-size", type=int, default=t.batch_size)
    parser.add_argument("--crop", type=int, default=t.crop)
    parser.add_argument("--lr", type=float, default=t.lr)
    parser.add_argument("--decay-from", type=int, metavar="STEP",
                        help="decay the learning rate linearly from STEP to 0 at --steps")
    parser.add_argument("--ema-decay", type=float, default=t.ema_decay)
    parser.add_argument("--cond-dropout", type=float, default=t.cond_dropout)
    parser.add_argument("--focus-t-max", type=int, default=None,
                        help="draw most training timesteps from [0, this]")
    parser.add_argument("--paper-start-prob", type=float, default=t.paper_start_prob)
    parser.add_argument("--prediction-type", choices=PREDICTION_TYPES, default="epsilon")
    parser.add_argument("--residual-std", type=float, default=ScheduleConfig().residual_std,
                        help="prior std of (target - coarse) for --prediction-type residual")
    parser.add_argument("--coarse-codec", default=t.coarse.codec)
    parser.add_argument("--coarse-quality", type=int, default=t.coarse.quality)
    parser.add_argument("--downscale", type=int, default=t.coarse.downscale)
    parser.add_argument("--base-channels", type=int, default=u.base_channels)
    parser.add_argument("--channel-mult", type=_ints, default=u.channel_mult, help="e.g. 1,2,4")
    parser.add_argument("--num-res-blocks", type=int, default=u.num_res_blocks)
    parser.add_argument("--attention-levels", type=_ints, default=u.attention_levels)
    parser.add_argument("--no-mid-attention", action="store_true")
    parser.add_argument("--train-limit", type=int, help="use only this many training frames")
    parser.add_argument("--val-frames", type=int, default=t.val_frames)
    parser.add_argument("--val-every", type=int, default=t.val_every)
    parser.add_argument("--checkpoint-every", type=int, default=t.checkpoint_every)
    parser.add_argument("--cache-dir", default=t.cache_dir)
    parser.add_argument("--segmenter", help="train on this segmenter's maps instead of the labels")
    parser.add_argument("--segmenter-model", help="model path for --segmenter")
    parser.add_argument("--threads", type=int, default=t.threads)
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast for training")
    parser.add_argument("--seed", type=int, default=t.seed)
    parser.add_argument("--no-resume", action="store_true", help="ignore an existing checkpoint")
    parser.add_argument("--no-progress", action="store_true")


def config_from_args(args: argparse.Namespace):
    """The :class:`TrainConfig` described by parsed arguments."""
    from spic.diffusion.train import TrainConfig

    kind = args.data.partition(":")[0]
    if kind not in LABEL_SET_OF:
        raise ValueError(f"--data must start with one of {sorted(LABEL_SET_OF)}, got {args.data!r}")
    label_set = LABEL_SET_OF[kind]
    from spic.labelsets import get_label_set
    unet = UNetConfig(num_classes=get_label_set(label_set).num_classes,
                      base_channels=args.base_channels, channel_mult=args.channel_mult,
                      num_res_blocks=args.num_res_blocks, attention_levels=args.attention_levels,
                      mid_attention=not args.no_mid_attention)
    return TrainConfig(
        data=args.data, label_set=label_set, out_dir=str(args.out), cache_dir=args.cache_dir,
        coarse=CoarseSpec(args.coarse_codec, args.coarse_quality, args.downscale), unet=unet,
        schedule=ScheduleConfig(prediction_type=args.prediction_type,
                                residual_std=args.residual_std), crop=args.crop,
        batch_size=args.batch_size, steps=args.steps, lr=args.lr, decay_from=args.decay_from,
        ema_decay=args.ema_decay,
        cond_dropout=args.cond_dropout, focus_t_max=args.focus_t_max,
        paper_start_prob=args.paper_start_prob, checkpoint_every=args.checkpoint_every,
        val_every=args.val_every, val_frames=args.val_frames, train_limit=args.train_limit,
        seed=args.seed, threads=args.threads, bf16=args.bf16, resume=not args.no_resume,
        segmenter=args.segmenter,
        segmenter_options={"model": args.segmenter_model} if args.segmenter_model else {},
        progress=not args.no_progress,
    )


def run(args: argparse.Namespace, command: str = "train-decoder") -> int:
    from pathlib import Path

    from spic.diffusion.checkpoint import load_model, save_model

    if args.export:
        model, card = load_model(Path(args.out) / "checkpoint")
        save_model(args.export, model, card)
        print(f"exported step {card.info.get('step')} of {args.out} to {args.export}")
        return 0
    from spic.diffusion.train import train

    result = train(config_from_args(args))
    import torch.distributed as dist
    if not dist.is_initialized() or dist.get_rank() == 0:
        print(json.dumps(result.summary))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m spic.cli.train_decoder`` (e.g. under torchrun)."""
    parser = argparse.ArgumentParser(prog="spic train-decoder")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

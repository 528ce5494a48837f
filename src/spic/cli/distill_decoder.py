"""``spic distill-decoder``: distil the one-step (``fast``) SCSRDM from the guided sampler.

    spic distill-decoder --out ~/spic_runs/scsrdm_fast          # train or resume
    spic distill-decoder --out ~/spic_runs/scsrdm_fast --export src/spic/weights/scsrdm_fast
    spic distill-decoder ... --device cuda                         # the same run on a GPU
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser, command: str = "distill-decoder") -> None:
    from spic.diffusion.distill import DistillConfig

    d = DistillConfig()
    parser.add_argument("--data", default=d.data, help="KIND:DIR (camvid)")
    parser.add_argument("--train-split", default=d.train_split)
    parser.add_argument("--teacher", help="teacher model folder (default: the embedded weights)")
    parser.add_argument("--out", default=d.out_dir,
                        help="run folder (checkpoint/, snapshots/, log.jsonl)")
    parser.add_argument("--export", metavar="DIR", help="copy the run's (or --snapshot's) EMA "
                        "model to DIR and exit")
    parser.add_argument("--snapshot", type=int, metavar="STEP", help="with --export: this snapshot")
    parser.add_argument("--cache-dir", default=d.cache_dir)
    parser.add_argument("--init", help="fine-tune this student model folder (default: start "
                        "from the teacher's weights)")
    for name in ("steps", "batch_size", "crop", "refine_channels", "warmup_steps",
                 "checkpoint_every", "snapshot_every", "seed", "threads"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(d, name))
    for name in ("lr", "ema_decay", "grad_clip", "w_l1", "w_lpips", "w_real", "w_real_l1",
                 "w_coarse", "w_grid"):
        parser.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(d, name))
    parser.add_argument("--spade-kernel", type=int, choices=(1, 3), default=d.spade_kernel,
                        help="1: the student's SPADE gamma/beta become 1x1 convolutions (the 3x3 "
                             "taps summed), a cheaper pass; default: as the init's")
    parser.add_argument("--student-maps", choices=("labels", "segmenter"), default=d.student_maps,
                        help="the student's input maps: the labels, or the embedded vehicle "
                             "segmenter's maps of the training frames (the teacher keeps the labels)")
    parser.add_argument("--device", default=d.device, help="auto (CUDA when available), cpu, cuda")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast")
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace, command: str = "distill-decoder") -> int:
    from spic.diffusion.checkpoint import load_model, save_model
    from spic.diffusion.distill import DistillConfig, distill

    if args.export:
        source = Path(args.out) / ("checkpoint" if args.snapshot is None
                                   else f"snapshots/step_{args.snapshot:06d}")
        model, card = load_model(source)
        save_model(args.export, model, card)
        print(f"exported step {card.info.get('step')} of {source} to {args.export}")
        return 0
    fields = DistillConfig.__dataclass_fields__
    values = {k: v for k, v in vars(args).items() if k in fields}
    cfg = DistillConfig(**values, out_dir=str(args.out), progress=not args.no_progress)
    print(json.dumps(distill(cfg)))
    return 0

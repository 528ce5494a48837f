"""``spic train-segmenter``: train SpicSegNet (optionally distilling an ONNX teacher)."""

from __future__ import annotations

import argparse
import json
import os


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--data", required=True, help="dataset spec, e.g. camvid:../shared/data/camvid")
    parser.add_argument("--out", required=True, help="run folder (checkpoints, history.json)")
    parser.add_argument("--train-split", default="fit")
    parser.add_argument("--val-split", default="selection")
    parser.add_argument("--teacher", action="append", default=[],
                        help="ONNX teacher (+ JSON sidecar) for distillation; repeat for a mixture "
                             "(another label set is mapped into the student's)")
    parser.add_argument("--teacher-weight", type=float, action="append", default=[],
                        help="mixture weight of each --teacher, in order (default: equal)")
    parser.add_argument("--kd-weight", type=float, default=1.0)
    parser.add_argument("--temperature", type=float, default=2.0)
    parser.add_argument("--model", default="{}", help="JSON overrides of the model config")
    parser.add_argument("--init", help="start from these weights (a folder with model.safetensors "
                                       "and config.json; the architecture is theirs)")
    parser.add_argument("--crop", type=int, nargs=2, default=(320, 240), metavar=("W", "H"))
    parser.add_argument("--batch", type=int, default=6)
    parser.add_argument("--scale", type=float, nargs=2, default=(0.6, 1.6), metavar=("MIN", "MAX"))
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--class-weight-c", type=float, default=1.10,
                        help="class weights 1 / ln(c + frequency): smaller c favours rare classes")
    parser.add_argument("--gamma", type=float, nargs=2, default=(1.0, 1.0), metavar=("MIN", "MAX"),
                        help="exposure augmentation x ** gamma (log-uniform)")
    parser.add_argument("--channel-gain", type=float, default=0.0, help="white balance +- this")
    parser.add_argument("--blur", type=float, default=0.0, help="probability of a Gaussian blur")
    parser.add_argument("--noise", type=float, default=0.0, help="probability of sensor noise")
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--max-minutes", type=float, help="wall-clock budget (schedule anneals to it)")
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--max-train", type=int, help="use only the first N training frames")
    parser.add_argument("--max-val", type=int, help="evaluate on only the first N val frames")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--device", default="auto",
                        help="auto (CUDA when available), cpu, cuda: where the network trains")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=".cache/segmenter", help="teacher-output cache folder")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last")
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace, command: str) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    from spic.segmentation.training import TrainConfig, Trainer

    torch.set_num_threads(args.threads)
    cfg = TrainConfig(
        data=args.data, out=args.out, train_split=args.train_split, val_split=args.val_split,
        model=json.loads(args.model), init=args.init, teachers=tuple(args.teacher),
        teacher_weights=tuple(args.teacher_weight), kd_weight=args.kd_weight,
        temperature=args.temperature, class_weight_c=args.class_weight_c, crop=tuple(args.crop),
        batch=args.batch, scale=tuple(args.scale), gamma=tuple(args.gamma),
        channel_gain=args.channel_gain, blur=args.blur, noise=args.noise, lr=args.lr,
        max_steps=args.max_steps,
        max_minutes=args.max_minutes, eval_every=args.eval_every, max_train=args.max_train,
        max_val=args.max_val, seed=args.seed, cache=args.cache, device=args.device,
        progress=not args.no_progress)
    result = Trainer(cfg, resume=args.resume).run()
    print(f"done: step {result['step']}, best val mIoU {100 * result['best_miou']:.2f}, "
          f"checkpoints in {args.out}/best and {args.out}/last")
    return 0

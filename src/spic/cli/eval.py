"""``spic eval``: rate vs. semantic fidelity of SPIC and baseline codecs over a dataset split."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spic.cli.codec import parse_options
from spic.datasets import load_samples

REPO = Path(__file__).resolve().parents[3]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "camvid"


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    from spic.eval.methods import DEFAULT_POINTS
    from spic.eval.runner import METRICS

    parser.add_argument("--data", default=f"camvid:{DEFAULT_DATA}" if DEFAULT_DATA.exists()
                        else None, required=not DEFAULT_DATA.exists(),
                        help="dataset as KIND:DIR (camvid or cityscapes)")
    parser.add_argument("--split", default="val",
                        help="any split the loader finds: val, train, or the committed "
                        "selection (chooses models) and fit (train minus selection)")
    parser.add_argument("--method", action="append", default=[],
                        help=f"repeatable; one of {', '.join(DEFAULT_POINTS)}")
    parser.add_argument("--out", type=Path, required=True, help="results folder (resumable)")
    parser.add_argument("--points", action="append", default=[], metavar="METHOD=Q1,Q2,...",
                        help="operating points (codec qualities) of a method")
    parser.add_argument("--limit", type=int, help="only the first N frames")
    parser.add_argument("--metrics", default=",".join(METRICS),
                        help=f"comma-separated subset of {','.join(METRICS)}")
    parser.add_argument("--judge", type=Path, action="append", default=[],
                        help="judge ONNX model, repeatable: each reconstruction is made once "
                        "and scored by every judge (default: the ESPNetv2-Cityscapes and "
                        "ESPNet-CamVid judges in ../shared/models when present)")
    parser.add_argument("--judge-size", help="judge input WIDTHxHEIGHT (default: sidecar's)")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime/torch threads")
    parser.add_argument("--fid-weights", type=Path,
                        help="pytorch-fid Inception weights (pt_inception-2015-12-05-*.pth or "
                        ".safetensors) for the standard FID; without it FID is the "
                        "non-standard VGG16-feature FID")
    parser.add_argument("--match", metavar="METHOD[@qN]",
                        help="add per-frame rate-matched points of every full-res codec "
                        "at METHOD's rates (e.g. spic), at all its points or at qN only "
                        "(e.g. spic@q35)")
    parser.add_argument("--save-recon", type=int, default=2,
                        help="save reconstructions of the first N frames (contact sheets)")
    spic = parser.add_argument_group("spic method parts")
    spic.add_argument("--spic-name", default="spic",
                      help="result name of the spic method (to keep variants apart, e.g. "
                      "spic-bicubic)")
    spic.add_argument("--ssm", choices=("segmenter", "gt"), default="segmenter",
                      help="map source: the vehicle's segmenter, or the dataset's ground "
                      "truth (the paper's setting)")
    spic.add_argument("--spic-segmenter", default="spic")
    spic.add_argument("--spic-segmenter-option", action="append", default=[],
                      metavar="KEY=VALUE")
    spic.add_argument("--spic-ssm-codec", help="default: the encoder's (EncoderConfig)")
    spic.add_argument("--spic-coarse-codec", help="default: the encoder's (EncoderConfig)")
    spic.add_argument("--spic-decoder", default="scsrdm", help="reconstructor (default scsrdm)")
    spic.add_argument("--spic-decoder-option", action="append", default=[], metavar="KEY=VALUE")
    spic.add_argument("--coarse-codec", help="codec of coarse+bicubic (default: spic's)")


def _points(pairs: list[str]) -> dict[str, tuple[int, ...]]:
    out = {}
    for pair in pairs:
        name, sep, values = pair.partition("=")
        try:
            out[name] = tuple(int(v) for v in values.split(",") if v)
        except ValueError:
            raise ValueError(f"--points {pair!r}: qualities must be integers") from None
        if not sep or not out[name]:
            raise ValueError(f"--points {pair!r} is not METHOD=Q1,Q2,...")
    return out


def build_methods(args: argparse.Namespace) -> list:
    """The requested methods that can run here; unavailable ones are skipped with a message."""
    from spic.codecs import CODECS
    from spic.eval.methods import (DEFAULT_POINTS, CodecMethod, CoarseBicubicMethod,
                                   MethodUnavailable, SpicMethod)
    from spic.pipeline import DecoderConfig, EncoderConfig

    names = list(dict.fromkeys(args.method or ["spic", "bpg", "jpeg2000", "jpeg",
                                               "coarse+bicubic"]))
    names = [args.spic_name if n == "spic" else n for n in names]
    matched = (args.match or "").partition("@")[0]
    if matched in names:  # the matched method's records must exist first
        names.remove(matched)
        names.insert(0, matched)
    points = _points(args.points)
    coarse_codec = args.spic_coarse_codec or EncoderConfig.coarse_codec
    methods = []
    for name in names:
        pts = points.get(name, DEFAULT_POINTS.get(name, (50,)))
        try:
            if name == args.spic_name:
                pts = points.get(name, points.get("spic", DEFAULT_POINTS["spic"]))
                encoder = EncoderConfig(
                    segmenter=args.spic_segmenter,
                    segmenter_options=parse_options(args.spic_segmenter_option),
                    ssm_codec=args.spic_ssm_codec or EncoderConfig.ssm_codec,
                    coarse_codec=coarse_codec)
                decoder = DecoderConfig(reconstructor=args.spic_decoder,
                                        reconstructor_options=parse_options(args.spic_decoder_option),
                                        fallback=None)  # measure it or fail, never bicubic
                methods.append(SpicMethod(pts, encoder, decoder, name=args.spic_name,
                                          ssm=args.ssm))
            elif name == "coarse+bicubic":
                methods.append(CoarseBicubicMethod(args.coarse_codec or coarse_codec, pts))
            elif name in CODECS:
                methods.append(CodecMethod(name, pts))
            else:
                raise ValueError(f"unknown method {name!r}; methods: spic, coarse+bicubic, "
                                 f"{', '.join(CODECS.names())}")
        except MethodUnavailable as exc:
            sys.stderr.write(f"spic eval: skipping method {name}: {exc}\n")
    return methods


def _segmenter_lineage(method) -> tuple[Path | None, set[str]]:
    """(the vehicle segmenter's model file, file names of the models it was distilled from)."""
    if getattr(method, "ssm_source", None) != "segmenter":
        return None, set()  # not SPIC, or SPIC on ground-truth maps
    config = getattr(getattr(method.segmenter, "model", None), "config", None)  # spic segmenter
    teachers = set(getattr(config, "extra", {}).get("distilled_from", [])) if config else set()
    model = method.encoder_config.segmenter_options.get("model")
    return (Path(model) if model else None), teachers


def judge_relations(judge_paths: list[Path], methods: list) -> dict[str, str | None]:
    """Per judge: None when independent of the vehicle's segmenter, else what links them.

    A judge that *is* the vehicle segmenter is refused; one the segmenter was distilled
    from (ESPNet-CamVid for the embedded one) is flagged in the results, not refused.
    """
    relations: dict[str, str | None] = {p.stem: None for p in judge_paths}
    for method in methods:
        model, teachers = _segmenter_lineage(method)
        for path in judge_paths:
            if model is not None and model.resolve() == path.resolve():
                raise ValueError(f"the judge {path} is also the vehicle's segmenter; "
                                 "pick a different --judge")
            if path.name in teachers:
                relations[path.stem] = "the vehicle segmenter was distilled from it"
    return relations


def run(args: argparse.Namespace, command: str) -> int:
    import torch

    from spic.eval.judge import Judge, default_judge_paths, parse_size
    from spic.eval.runner import METRICS, EvalConfig, Evaluator

    torch.set_num_threads(args.threads)
    metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; known: {', '.join(METRICS)}")
    samples = load_samples(args.data, args.split)[: args.limit]
    methods = build_methods(args)
    if not methods:
        raise ValueError("no requested method can run here")
    judges, relations = [], {}
    if "miou" in metrics:
        judge_paths = args.judge or default_judge_paths()
        if not judge_paths:
            raise ValueError("mIoU needs a judge: pass --judge MODEL.onnx (with its .json "
                             "sidecar) or drop miou from --metrics")
        if len({p.stem for p in judge_paths}) != len(judge_paths):
            raise ValueError("two --judge models share a file name; results are keyed by it")
        relations = judge_relations(judge_paths, methods)
        for path in judge_paths:
            judges.append(Judge(path, samples[0].label_set,
                                parse_size(args.judge_size) if args.judge_size else None,
                                args.threads))
    fid_features = None
    if "fid" in metrics:
        fid_features = _fid_features(args.fid_weights)
    config = EvalConfig(out_dir=args.out, label_set=samples[0].label_set, metrics=metrics,
                        judges=tuple(judges), fid_features=fid_features, save_recon=args.save_recon,
                        match=args.match,
                        settings={"data": args.data, "split": args.split,
                                  "frames": len(samples),
                                  "judge_relations": relations})
    summaries = Evaluator(config, methods).run(samples)
    for summary in summaries:
        res = summary["results"]
        walls = sum(v or 0.0 for v in res.get("seconds_wall_total", []))
        print(f"{summary['name']}: {len(res['point'])} points, wall {walls:.1f} s total")
    print(f"results in {args.out}")
    return 0


def _fid_features(weights: Path | None):
    if weights is not None:
        from spic.eval.fid_inception import InceptionFidFeatures

        return "inception", InceptionFidFeatures(weights)
    from spic.eval.fid import Vgg16FidFeatures

    return "vgg16", Vgg16FidFeatures()

"""``spic encode | decode | info``: whole-frame coding with the configured pipeline.

Without options, ``encode`` and ``decode`` use the :class:`EncoderConfig` / :class:`DecoderConfig`
defaults, the same as the encoder and decoder nodes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PIL import Image

from spic.cli.codec import parse_options
from spic.datasets import read_labels, read_rgb
from spic.payload import SSM_INTRA, SemanticPayload
from spic.pipeline import DecoderConfig, EncoderConfig, SemanticDecoder, SemanticEncoder


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("input", type=Path)
    if command == "info":
        parser.add_argument("--json", action="store_true", help="print JSON")
        return
    parser.add_argument("-o", "--output", type=Path, required=True)
    if command == "encode":
        d = EncoderConfig()
        parser.add_argument("--segmenter", default=d.segmenter)
        parser.add_argument("--segmenter-model", help="model path for the segmenter")
        parser.add_argument("--labels", type=Path,
                            help="use this label PNG as the SSM instead of segmenting")
        parser.add_argument("--label-set", default="camvid11", help="label set of --labels")
        parser.add_argument("--ssm-codec", default=d.ssm_codec)
        parser.add_argument("--coarse-codec", default=d.coarse_codec)
        parser.add_argument("-q", "--coarse-quality", type=int, default=d.coarse_quality)
        parser.add_argument("--downscale", type=int, default=d.downscale)
    else:
        parser.add_argument("--reconstructor", default=DecoderConfig().reconstructor,
                            help="reconstructor registry name (default: %(default)s, the "
                            "diffusion decoder; bicubic: fast, no model)")
        parser.add_argument("--reconstructor-option", action="append", default=[],
                            metavar="KEY=VALUE", help="repeatable, e.g. mode=fast (scsrdm: "
                            "one U-Net pass) or mode=quality (20 guided steps)")
        parser.add_argument("--ssm-output", type=Path, help="also write the decoded SSM PNG")


def run(args: argparse.Namespace, command: str) -> int:
    if command == "encode":
        options = {"model": args.segmenter_model} if args.segmenter_model else {}
        config = EncoderConfig(segmenter=args.segmenter, segmenter_options=options,
                               ssm_codec=args.ssm_codec, coarse_codec=args.coarse_codec,
                               coarse_quality=args.coarse_quality, downscale=args.downscale)
        encoder = SemanticEncoder(config)
        rgb = read_rgb(args.input)
        ssm = read_labels(args.labels) if args.labels else None
        payload = encoder.encode(rgb, ssm=ssm, label_set=args.label_set if ssm is not None else None)
        args.output.write_bytes(payload.to_bytes())
        print(f"{args.output}: {payload.num_bytes} bytes, {payload.bpp()['total']:.4f} bpp")
        return 0
    payload = SemanticPayload.from_bytes(args.input.read_bytes())
    if command == "info":
        info = {
            "version": payload.version, "sequence": payload.sequence,
            "ssm_frame_kind": payload.ssm_frame_kind, "ssm_reference": payload.ssm_reference,
            "size": [payload.width, payload.height], "encoding": payload.encoding,
            "label_set": payload.label_set, "num_classes": payload.num_classes,
            "ssm": {"codec": payload.ssm_codec, "bytes": len(payload.ssm_data)},
            "coarse": {"codec": payload.coarse_codec, "quality": payload.coarse_quality,
                       "size": [payload.coarse_width, payload.coarse_height],
                       "downscale": payload.downscale, "bytes": len(payload.coarse_data)},
            "bpp": payload.bpp(),
        }
        if args.json:
            print(json.dumps(info, indent=2))
        else:
            bpp = info["bpp"]
            kind = "intra" if payload.ssm_frame_kind == SSM_INTRA else "inter"
            print(f"frame      #{payload.sequence} {payload.width}x{payload.height} "
                  f"({payload.encoding}), labels {payload.label_set} ({payload.num_classes} "
                  f"classes), {kind} SSM (reference #{payload.ssm_reference}), v{payload.version}")
            print(f"ssm        {payload.ssm_codec}: {len(payload.ssm_data)} B, {bpp['ssm']:.4f} bpp")
            print(f"coarse     {payload.coarse_codec} q={payload.coarse_quality} "
                  f"{payload.coarse_width}x{payload.coarse_height} (1/{payload.downscale}): "
                  f"{len(payload.coarse_data)} B, {bpp['coarse']:.4f} bpp")
            print(f"total      {payload.num_bytes} B, {bpp['total']:.4f} bpp")
        return 0
    decoder = SemanticDecoder(DecoderConfig(
        reconstructor=args.reconstructor,
        reconstructor_options=parse_options(args.reconstructor_option)))
    frame = decoder.decode(payload)
    if frame.fallback_reason is not None:
        print(f"{decoder.config.reconstructor} refused the frame, rebuilt with "
              f"{decoder.config.fallback}: {frame.fallback_reason}", file=sys.stderr)
    Image.fromarray(frame.rgb).save(args.output)
    if args.ssm_output:
        Image.fromarray(frame.ssm).save(args.ssm_output)
    print(f"{args.output}: {payload.width}x{payload.height}")
    return 0

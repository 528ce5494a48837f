"""``spic codec encode|decode``: one image through any registered codec."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from spic.codecs import CODECS, create_codec

#: File extension -> codec, for ``decode`` without ``--codec``.
EXTENSIONS = {".bpg": "bpg", ".flif": "flif", ".slc": "slc", ".jxl": "jxl", ".png": "png",
              ".webp": "webp", ".jpg": "jpeg", ".jpeg": "jpeg"}


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("action", choices=["encode", "decode", "list"])
    parser.add_argument("input", type=Path, nargs="?")
    parser.add_argument("output", type=Path, nargs="?")
    parser.add_argument("--codec", help=f"one of: {', '.join(CODECS.names())}")
    parser.add_argument("-q", "--quality", type=int)
    parser.add_argument("--gray", action="store_true", help="encode as one channel (label maps)")
    parser.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                        help="codec-specific option (repeatable), e.g. -o chroma=444")


def parse_options(pairs: list[str]) -> dict:
    """``KEY=VALUE`` strings -> keyword options (integers converted, dashes -> underscores)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"option {pair!r} is not KEY=VALUE")
        out[key.replace("-", "_")] = int(value) if value.lstrip("-").isdigit() else value
    return out


def run(args: argparse.Namespace, command: str) -> int:
    if args.action == "list":
        print("\n".join(CODECS.names()))
        return 0
    if args.input is None or args.output is None:
        raise ValueError("encode/decode need INPUT and OUTPUT")
    if args.action == "encode":
        codec = create_codec(args.codec or "png", quality=args.quality, **parse_options(args.option))
        with Image.open(args.input) as img:
            gray = args.gray or img.mode in ("L", "P")
            image = np.array(img) if img.mode in ("L", "P") else np.asarray(
                img.convert("L" if gray else "RGB"))
        data = codec.encode(image)
        args.output.write_bytes(data)
        bpp = 8 * len(data) / (image.shape[0] * image.shape[1])
        print(f"{args.output}: {len(data)} bytes, {bpp:.4f} bpp")
        return 0
    name = args.codec or EXTENSIONS.get(args.input.suffix.lower())
    if name is None:
        raise ValueError("cannot infer the codec from the file name; pass --codec")
    image = create_codec(name, **parse_options(args.option)).decode(args.input.read_bytes())
    Image.fromarray(image).save(args.output)
    print(f"{args.output}: {image.shape[1]}x{image.shape[0]}")
    return 0

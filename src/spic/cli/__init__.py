"""The ``spic`` command line: ``spic COMMAND [ARGS]``.

Each command lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; modules are imported only when their command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "encode": ("spic.cli.frame", "encode an image into a .spic payload"),
    "decode": ("spic.cli.frame", "decode a .spic payload into an image"),
    "info": ("spic.cli.frame", "show sizes, bpp per part and codecs of a .spic payload"),
    "codec": ("spic.cli.codec", "encode/decode one image with any registered codec"),
    "segment": ("spic.cli.segment", "segment an image into a label map"),
    "eval-segmenter": ("spic.cli.eval_segmenter", "mIoU / pixel accuracy / speed of a segmenter"),
    "train-segmenter": ("spic.cli.train_segmenter", "train the project's segmenter"),
    "export-segmenter": ("spic.cli.export_segmenter", "export the project's segmenter to ONNX"),
    "train-decoder": ("spic.cli.train_decoder", "train the SCSRDM diffusion decoder"),
    "distill-decoder": ("spic.cli.distill_decoder",
                        "distil the one-step (fast) SCSRDM from the guided sampler"),
    "eval": ("spic.cli.eval", "rate vs. semantic fidelity of SPIC and baseline codecs"),
    "plot": ("spic.cli.plot", "rate-distortion plots and contact sheets from eval results"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    return "usage: spic COMMAND [ARGS]\n\ncommands:\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(_usage())
        return 0
    name = argv[0]
    if name not in COMMANDS:
        sys.stderr.write(f"spic: unknown command {name!r}\n\n" + _usage())
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"spic {name}", description=COMMANDS[name][1])
    module.add_arguments(parser, name)
    args = parser.parse_intermixed_args(argv[1:])  # options may sit between positionals
    try:
        return module.run(args, name) or 0
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"spic {name}: error: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())

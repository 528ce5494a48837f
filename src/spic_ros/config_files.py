"""The package's config/ YAML files: where they are, and how they are made.

``config/encoder.yaml`` and ``config/decoder.yaml`` list every parameter of their node with
its default and description; they are generated from the nodes' declared parameters (which
take the pipeline's defaults from :mod:`spic.pipeline`), so they cannot drift. Their section
is ``/**/<node>``: it applies to the node in any namespace (one per camera). config/ also
holds the Fast DDS profile (:mod:`spic_ros.dds_profile`).

    python -m spic_ros.config_files          # rewrite both files in the checkout
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from spic_ros.params import Param

#: file name -> (node name, module holding the node's PARAMS, one-line title)
CONFIG_FILES = {
    "encoder.yaml": ("spic_encoder", "spic_ros.encoder_node",
                     "spic_encoder (vehicle side): camera Image -> SemanticFrame"),
    "decoder.yaml": ("spic_decoder", "spic_ros.decoder_node",
                     "spic_decoder (remote side): SemanticFrame -> reconstructed Image"),
}


def config_dir() -> Path:
    """``config/`` of the source checkout, else ``share/spic_ros/config`` of an install."""
    checkout = Path(__file__).resolve().parents[2] / "config"
    if checkout.is_dir():
        return checkout
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    for prefix in prefixes + [sys.prefix]:
        installed = Path(prefix) / "share" / "spic_ros" / "config"
        if installed.is_dir():
            return installed
    raise FileNotFoundError("spic_ros config/ not found in the checkout or any install prefix")


def config_file(name: str) -> Path:
    """Path of ``config/<name>`` (e.g. ``encoder.yaml``); raises FileNotFoundError."""
    path = config_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"no config file {path}")
    return path


def yaml_scalar(value: bool | int | float | str) -> str:
    """``value`` as a YAML scalar of the same type (strings always quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, str) else repr(value)


def node_key(node_name: str) -> str:
    """The parameters-file section of ``node_name`` in every namespace."""
    return f"/**/{node_name}"


def render(node_name: str, title: str, params: list[Param]) -> str:
    """A parameters file setting every parameter to its default, described in a comment."""
    lines = [f"# {title}.",
             "# Every parameter with its default and description, generated from the node's",
             "# declared parameters (python -m spic_ros.config_files). Edit a copy and pass it",
             "# with --params-file (launch files: config:=FILE); values are checked at start-up.",
             f"{node_key(node_name)}:", "  ros__parameters:"]
    for p in params:
        bounds = p.int_range or p.float_range
        limits = f" [{bounds[0]}, {bounds[1]}]" if bounds else ""
        lines += [f"    # {p.description}{limits}", f"    {p.name}: {yaml_scalar(p.default)}"]
    return "\n".join(lines) + "\n"


def expected_contents() -> dict[str, str]:
    """File name -> the text it must have."""
    from importlib import import_module

    return {name: render(node, title, import_module(module).PARAMS)
            for name, (node, module, title) in CONFIG_FILES.items()}


def main() -> int:
    folder = Path(__file__).resolve().parents[2] / "config"
    for name, text in expected_contents().items():
        (folder / name).write_text(text)
        print(f"wrote {folder / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``spic_composed``: encoder and decoder nodes in one process on a multi-threaded executor.

For pip-only machines without ``ros2 launch``: parameters are set per node with the usual
remapping syntax, e.g. ``--ros-args -p spic_encoder:ssm_codec:=flif``, or with the nodes'
parameters files (``--params-file config/encoder.yaml --params-file config/decoder.yaml``).
A parameter given without a node name reaches both nodes, so each must declare it (an
unknown parameter is a configuration error).
"""

from __future__ import annotations

from spic_ros.decoder_node import DecoderNode
from spic_ros.encoder_node import EncoderNode
from spic_ros.runner import spin_nodes


def main(args: list[str] | None = None) -> int:
    return spin_nodes([EncoderNode, DecoderNode], args)

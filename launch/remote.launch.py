"""Remote side: the spic_decoder node (SemanticFrame -> rgb8 Image, SSM), one per camera.

    ros2 launch spic_ros remote.launch.py input_topic:=/camera/image_raw/spic
    ros2 launch spic_ros remote.launch.py reconstructor:=bicubic   # fast, no diffusion model

The decoders matching a four-camera vehicle (vehicle.launch.py cameras:=...; docs/nodes.md):

    ros2 launch spic_ros remote.launch.py cameras:=front,left,right,rear

    /front/image_raw/spic -> /front/spic_decoder -> /front/image_decoded (and .../ssm)
    /left/image_raw/spic  -> /left/spic_decoder  -> /left/image_decoded
    ...

With ``cameras`` the topic arguments are relative to each camera's namespace; an absolute one
is refused. Without it (the default) one decoder runs as configured.

One decoder for all cameras (one model in memory; each round the newest frame of every camera,
up to ``max_batch``, in one batched pass; the same topics as above):

    ros2 launch spic_ros remote.launch.py streams:=front,left,right,rear

Every decoder parameter is an argument (``ros2 launch spic_ros remote.launch.py -s``);
``config:=FILE`` names a parameters file, which the arguments given override, and
``dds_profile:=FILE|off`` the Fast DDS profile (default: the large-frames profile, docs/dds.md).
"""

import sys
from pathlib import Path

from launch import LaunchDescription

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spic_nodes import single_node_launch  # noqa: E402

#: Topic parameters of one camera's decoder, relative to its namespace.
CAMERA_TOPICS = {"input_topic": "image_raw/spic", "output_topic": "image_decoded",
                 "ssm_topic": ""}


def generate_launch_description() -> LaunchDescription:
    return single_node_launch("spic_decoder", "decoder.yaml", CAMERA_TOPICS)

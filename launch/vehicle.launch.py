"""Vehicle side: the spic_encoder node (camera Image -> SemanticFrame), one per camera.

    ros2 launch spic_ros vehicle.launch.py image_topic:=/camera/image_raw \
        segmenter:=onnx segmenter_model:=/models/espnet_camvid.onnx

A four-camera rig (docs/nodes.md): one encoder per camera namespace, each named
/<camera>/spic_encoder and reading <camera>/image_raw:

    ros2 launch spic_ros vehicle.launch.py cameras:=front,left,right,rear

    /front/image_raw -> /front/spic_encoder -> /front/image_raw/spic   (and .../spic/ssm,
    /left/image_raw  -> /left/spic_encoder  -> /left/image_raw/spic     .../spic/request_keyframe)
    ...                                        /diagnostics: "spic_encoder: front/spic_encoder"

With ``cameras`` the topic arguments are relative to each camera's namespace
(``image_topic:=camera/color`` reads /front/camera/color, ...); an absolute one is refused,
since every camera would share it. Without it (the default) one encoder runs as configured.

Every encoder parameter is an argument (``ros2 launch spic_ros vehicle.launch.py -s``);
``config:=FILE`` names a parameters file, which the arguments given override, and
``dds_profile:=FILE|off`` the Fast DDS profile (default: the large-frames profile, docs/dds.md).
"""

import sys
from pathlib import Path

from launch import LaunchDescription

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spic_nodes import single_node_launch  # noqa: E402

#: Topic parameters of one camera's encoder, relative to its namespace.
CAMERA_TOPICS = {"image_topic": "image_raw", "output_topic": "", "labels_topic": ""}


def generate_launch_description() -> LaunchDescription:
    return single_node_launch("spic_encoder", "encoder.yaml", CAMERA_TOPICS)

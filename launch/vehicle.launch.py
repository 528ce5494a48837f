"""Vehicle side: the spic_encoder node (camera Image -> SemanticFrame).

    ros2 launch spic_ros vehicle.launch.py image_topic:=/camera/image_raw \
        segmenter:=onnx segmenter_model:=/models/espnet_camvid.onnx
"""

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue


def generate_launch_description() -> LaunchDescription:
    config = Path(get_package_share_directory("spic_ros")) / "config" / "encoder.yaml"
    args = {
        "config": (str(config), "encoder parameter file"),
        "image_topic": ("/camera/image_raw", "camera topic (sensor_msgs/Image)"),
        "segmenter": ("spic", "segmenter registry name"),
        "segmenter_model": ("", "segmenter model file (empty: its default)"),
        "ssm_codec": ("flif", "lossless SSM codec"),
        "coarse_codec": ("bpg", "coarse-image codec"),
        "coarse_quality": ("35", "coarse codec quality"),
    }
    declared = [DeclareLaunchArgument(name, default_value=default, description=text)
                for name, (default, text) in args.items()]
    overrides = {name: ParameterValue(LaunchConfiguration(name),
                                      value_type=int if name == "coarse_quality" else str)
                 for name in args if name != "config"}
    encoder = Node(
        package="spic_ros", executable="spic_encoder", name="spic_encoder", output="screen",
        parameters=[LaunchConfiguration("config"), overrides],
    )
    return LaunchDescription([*declared, encoder])

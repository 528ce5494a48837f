"""Replay a rosbag2 through both nodes: spic_bag_play + spic_encoder + spic_decoder.

    ros2 launch spic_ros replay.launch.py bag:=/data/camvid_val image_topic:=/camera/image_raw
"""

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue


def generate_launch_description() -> LaunchDescription:
    share = Path(get_package_share_directory("spic_ros")) / "config"
    args = {
        "bag": ("", "rosbag2 directory (mcap or sqlite3)"),
        "rate": ("1.0", "playback speed factor"),
        "image_topic": ("/camera/image_raw", "image topic in the bag"),
        "encoder_config": (str(share / "encoder.yaml"), "encoder parameter file"),
        "decoder_config": (str(share / "decoder.yaml"), "decoder parameter file"),
        "segmenter_model": ("", "segmenter model file (empty: its default)"),
        "reconstructor": ("scsrdm", "reconstructor registry name (scsrdm, scsrdm-fast: one "
                                    "U-Net pass, scsrdm-quality: 20 guided steps, bicubic)"),
    }
    declared = [DeclareLaunchArgument(name, default_value=default, description=text)
                for name, (default, text) in args.items()]
    image_topic = LaunchConfiguration("image_topic")
    encoder = Node(
        package="spic_ros", executable="spic_encoder", name="spic_encoder", output="screen",
        parameters=[LaunchConfiguration("encoder_config"),
                    {"image_topic": ParameterValue(image_topic, value_type=str),
                     "segmenter_model": ParameterValue(LaunchConfiguration("segmenter_model"),
                                                       value_type=str)}],
    )
    decoder = Node(
        package="spic_ros", executable="spic_decoder", name="spic_decoder", output="screen",
        parameters=[LaunchConfiguration("decoder_config"),
                    {"input_topic": ParameterValue([image_topic, "/spic"], value_type=str),
                     "reconstructor": ParameterValue(LaunchConfiguration("reconstructor"),
                                                     value_type=str)}],
    )
    player = Node(
        package="spic_ros", executable="spic_bag_play", name="spic_bag_play", output="screen",
        arguments=[LaunchConfiguration("bag"), "--rate", LaunchConfiguration("rate"),
                   "--wait-subscribers", "1"],
    )
    return LaunchDescription([*declared, encoder, decoder, player])

"""Replay a rosbag2 through both nodes: spic_bag_play + spic_encoder + spic_decoder.

    ros2 launch spic_ros replay.launch.py bag:=/data/camvid_val
    ros2 launch spic_ros replay.launch.py bag:=/data/camvid_val labels_topic:=/camera/labels

The player publishes ``image_topic`` (and ``labels_topic`` when set: the bag's label maps are
then coded instead of segmenting) once the encoder subscribes; when it ends the launch shuts
down, and when any process fails the launch exits non-zero. Every encoder and decoder
parameter is an argument; those both nodes have are ``encoder_<name>`` / ``decoder_<name>``.
The decoder reads what the encoder publishes. ``dds_profile:=FILE|off`` names the Fast DDS
profile of every process (default: the large-frames profile, docs/dds.md).
"""

import sys
from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spic_nodes import (argument_names, config_path, declare_arguments,  # noqa: E402
                        dds_profile_actions, read_parameters, spic_node, spic_process)


def _value(context, name: str) -> str:
    return LaunchConfiguration(name).perform(context)


def _encoder_output(context, names: dict) -> str:
    return (_value(context, names["output_topic"])
            or _value(context, "image_topic").rstrip("/") + "/spic")


def _player(context) -> list:
    topics = [_value(context, "image_topic"), _value(context, "labels_topic")]
    return [spic_process("spic_bag_play", arguments=[
        _value(context, "bag"), "--rate", _value(context, "rate"), "--wait-subscribers", "1",
        "--topics", *filter(None, topics)])]


def generate_launch_description() -> LaunchDescription:
    configs = {"encoder": config_path("encoder.yaml"), "decoder": config_path("decoder.yaml")}
    (_, encoder), (_, decoder) = (read_parameters(path) for path in configs.values())
    shared = {p.name for p in encoder} & {p.name for p in decoder}
    encoder_names = argument_names(encoder, "encoder_", shared)
    decoder_names = argument_names(decoder, "decoder_", shared)
    del decoder_names["input_topic"]  # follows the encoder's output

    return LaunchDescription([
        DeclareLaunchArgument("bag", description="rosbag2 directory to play (mcap or sqlite3)"),
        DeclareLaunchArgument("rate", default_value="1.0", description="playback speed factor"),
        *(DeclareLaunchArgument(f"{side}_config", default_value=str(path),
                                description=f"{side} parameters file")
          for side, path in configs.items()),
        *dds_profile_actions(),
        *declare_arguments(encoder, encoder_names),
        *declare_arguments(decoder, decoder_names),
        spic_node("spic_encoder", "encoder_config", encoder, encoder_names),
        spic_node("spic_decoder", "decoder_config", decoder, decoder_names,
                  lambda context: {"input_topic": _encoder_output(context, encoder_names)}),
        OpaqueFunction(function=_player),
    ])

"""Remote side: the spic_decoder node (SemanticFrame -> rgb8 Image, optional SSM).

    ros2 launch spic_ros remote.launch.py input_topic:=/camera/image_raw/spic
    ros2 launch spic_ros remote.launch.py reconstructor:=bicubic   # fast, no diffusion model
"""

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue


def generate_launch_description() -> LaunchDescription:
    config = Path(get_package_share_directory("spic_ros")) / "config" / "decoder.yaml"
    args = {
        "config": (str(config), "decoder parameter file"),
        "input_topic": ("/camera/image_raw/spic", "SemanticFrame topic"),
        "output_topic": ("/camera/image_decoded", "reconstructed image topic"),
        "reconstructor": ("scsrdm", "reconstructor registry name (scsrdm, scsrdm-fast: one "
                                    "U-Net pass, scsrdm-quality: 20 guided steps, bicubic)"),
    }
    declared = [DeclareLaunchArgument(name, default_value=default, description=text)
                for name, (default, text) in args.items()]
    overrides = {name: ParameterValue(LaunchConfiguration(name), value_type=str)
                 for name in args if name != "config"}
    decoder = Node(
        package="spic_ros", executable="spic_decoder", name="spic_decoder", output="screen",
        parameters=[LaunchConfiguration("config"), overrides],
    )
    return LaunchDescription([*declared, decoder])

#!/usr/bin/env bash
# Source ROS 2 and the spic_ros workspace, then run the given command.
set -e
source /opt/ros/kilted/setup.bash
source /ws/install/setup.bash
exec "$@"

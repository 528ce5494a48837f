"""spic_ros — thin rclpy nodes and rosbag tools on top of the ROS-free ``spic`` core.

The rosidl-generated message module (``spic_ros.msg``) is installed by colcon into a
separate ``spic_ros`` folder (site-packages of the venv, or a ROS 2 install space);
extending ``__path__`` makes both halves one package.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)

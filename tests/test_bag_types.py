"""bag_io.message_class: a bag's type names may only select allow-listed message packages."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("rclpy")
pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the SemanticFrame message")

from spic_ros.bag_io import MESSAGE_PACKAGES, BagError, deserialize, message_class  # noqa: E402


def test_known_message_types_resolve():
    from sensor_msgs.msg import Image

    from spic_ros.msg import SemanticFrame

    assert message_class("sensor_msgs/msg/Image") is Image
    assert message_class("spic_ros/SemanticFrame") is SemanticFrame
    assert {"sensor_msgs", "std_msgs", "spic_ros", "builtin_interfaces"} <= MESSAGE_PACKAGES


@pytest.mark.parametrize("msgtype,match", [
    ("os/msg/System", "not one of the allowed message packages"),
    ("antigravity/msg/Fly", "not one of the allowed message packages"),
    ("sensor_msgs/srv/SetCameraInfo", "not a message type name"),
    ("sensor_msgs/msg/_image", "not a message type name"),
    ("sensor_msgs/msg/Image/x", "not a message type name"),
    ("sensor_msgs/msg/NoSuchType", "not available"),
])
def test_other_type_names_are_refused_without_importing(msgtype, match):
    before = set(sys.modules)
    with pytest.raises(BagError, match=match):
        message_class(msgtype)
    with pytest.raises(BagError):
        deserialize(b"", msgtype)
    assert not {"antigravity", "os.msg"} & (set(sys.modules) - before)

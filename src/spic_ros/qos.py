"""QoS profiles: sensor data for camera input, reliable keep-last for coded frames and outputs."""

from __future__ import annotations

from rclpy.qos import (HistoryPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data)

INPUT_QOS_CHOICES = ("sensor_data", "reliable")


def input_qos(kind: str, depth: int) -> QoSProfile:
    """Camera input: ``sensor_data`` (best effort, keep last) or ``reliable`` keep-last ``depth``."""
    if kind == "sensor_data":
        sensor = qos_profile_sensor_data
        return QoSProfile(history=sensor.history, reliability=sensor.reliability,
                          durability=sensor.durability, depth=depth)
    return reliable_qos(depth)


def reliable_qos(depth: int) -> QoSProfile:
    """Reliable, keep-last ``depth``: bounded queues for SemanticFrame and output images."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE)

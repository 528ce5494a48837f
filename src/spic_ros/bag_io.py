"""rosbag2 reading and writing with ``rosbags`` (mcap or sqlite3), no ROS 2 install needed.

Building blocks for the bag console scripts and the evaluation tools:

- :class:`BagWriter` — ``with BagWriter(path) as w: w.write_msg(topic, t_ns, msg)`` writes
  rclpy messages (or raw CDR via :meth:`BagWriter.write`); mcap by default, sqlite3 on request.
- :func:`read_messages` — iterate ``BagMessage(topic, msgtype, timestamp, data)`` (raw CDR) in
  log-time order from any rosbag2 directory (mcap or sqlite3).
- :func:`bag_topics` — ``{topic: msgtype}`` of a bag.
- :func:`image_topics` — the camera topic (given or first found) plus a labels topic if present.
- :func:`deserialize` / :func:`message_class` — raw CDR -> rclpy message / ``pkg/msg/Name`` -> class.
- :func:`images_to_bag` — an image folder (optionally with a label folder) -> ``sensor_msgs/Image``.

Timestamps are integer nanoseconds. Serialisation is rclpy's, so bags round-trip bit-exactly
with what nodes publish.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from rclpy.serialization import deserialize_message, serialize_message
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.typesys import Stores, get_types_from_msg, get_typestore

from spic.datasets import read_labels, read_rgb
from spic_ros.image_conversion import array_to_image

STORAGES = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
#: Message packages whose types bags may name: ROS 2 common_interfaces, tf2, this project's.
MESSAGE_PACKAGES = frozenset({
    "actionlib_msgs", "builtin_interfaces", "diagnostic_msgs", "geometry_msgs", "nav_msgs",
    "rosgraph_msgs", "sensor_msgs", "shape_msgs", "spic_ros", "std_msgs", "stereo_msgs",
    "tf2_msgs", "trajectory_msgs", "visualization_msgs"})
_MSG_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".webp")


class BagError(ValueError):
    """A bag is missing, malformed, or lacks the requested topics/types."""


@dataclass(frozen=True)
class BagMessage:
    topic: str
    msgtype: str      # e.g. "sensor_msgs/msg/Image"
    timestamp: int    # log time, ns
    data: bytes       # CDR as rclpy serialises it


def message_class(msgtype: str):
    """The rclpy class for ``pkg/msg/Name`` (also accepts ``pkg/Name``).

    Only packages in :data:`MESSAGE_PACKAGES` are imported: a bag's type names are data, and
    must not choose which modules this process runs.
    """
    parts = msgtype.split("/")
    if len(parts) == 2:
        parts = [parts[0], "msg", parts[1]]
    if len(parts) != 3 or parts[1] != "msg" or not _MSG_NAME.fullmatch(parts[2]):
        raise BagError(f"not a message type name: {msgtype!r}")
    if parts[0] not in MESSAGE_PACKAGES:
        raise BagError(f"message type {msgtype} is from package {parts[0]!r}, not one of the "
                       f"allowed message packages ({', '.join(sorted(MESSAGE_PACKAGES))})")
    try:
        cls = getattr(importlib.import_module(f"{parts[0]}.msg"), parts[2])
    except (ImportError, AttributeError) as exc:
        raise BagError(f"message type {msgtype} is not available: {exc}") from exc
    if not hasattr(cls, "get_fields_and_field_types"):
        raise BagError(f"{msgtype} is not a ROS message class")
    return cls


def deserialize(data: bytes, msgtype: str):
    """Raw CDR -> rclpy message of type ``msgtype``."""
    return deserialize_message(data, message_class(msgtype))


def _msg_definition(msgtype: str) -> str:
    """The .msg text of a type rosbags does not know, from an install's share/ or this repo."""
    pkg, _, name = msgtype.split("/")
    prefixes = [Path(sys.prefix)] + [Path(p) for p in
                                     os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    candidates = [prefix / "share" / pkg / "msg" / f"{name}.msg" for prefix in prefixes]
    if pkg == "spic_ros":
        candidates.append(Path(__file__).resolve().parents[2] / "msg" / f"{name}.msg")
    for path in candidates:
        if path.is_file():
            return path.read_text()
    raise BagError(f"no message definition found for {msgtype}")


def typestore_for(msgtypes: list[str]):
    """A Kilted typestore that also knows the given (e.g. spic_ros) message types."""
    store = get_typestore(Stores.ROS2_KILTED)
    extra = {}
    for msgtype in msgtypes:
        if msgtype not in store.fielddefs:
            extra.update(get_types_from_msg(_msg_definition(msgtype), msgtype))
    if extra:
        store.register(extra)
    return store


class BagWriter:
    """Writes a rosbag2 directory; topics are added on first use of their message type."""

    def __init__(self, path: str | Path, storage: str = "mcap") -> None:
        if storage not in STORAGES:
            raise BagError(f"storage must be one of {sorted(STORAGES)}, got {storage!r}")
        self.path = Path(path)
        if self.path.exists():
            raise BagError(f"{self.path} exists; rosbag2 writes a new directory")
        self._writer = Writer(self.path, version=9, storage_plugin=STORAGES[storage])
        self._connections: dict[str, object] = {}
        self.count = 0

    def __enter__(self) -> "BagWriter":
        self._writer.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._writer.close()

    def add_topic(self, topic: str, msgtype: str) -> None:
        if topic not in self._connections:
            self._connections[topic] = self._writer.add_connection(
                topic, msgtype, typestore=typestore_for([msgtype]))

    def write(self, topic: str, timestamp: int, data: bytes, msgtype: str | None = None) -> None:
        """Append raw CDR ``data`` (``msgtype`` needed the first time a topic is written)."""
        if topic not in self._connections:
            if msgtype is None:
                raise BagError(f"topic {topic} has no message type yet")
            self.add_topic(topic, msgtype)
        self._writer.write(self._connections[topic], int(timestamp), data)
        self.count += 1

    def write_msg(self, topic: str, timestamp: int, msg) -> None:
        """Append an rclpy message."""
        module = type(msg).__module__.split(".")  # e.g. sensor_msgs.msg._image
        self.write(topic, timestamp, serialize_message(msg),
                   f"{module[0]}/{module[1]}/{type(msg).__name__}")


def _reader(path: str | Path) -> Reader:
    path = Path(path)
    if not (path / "metadata.yaml").is_file():
        raise BagError(f"{path} is not a rosbag2 directory (no metadata.yaml)")
    return Reader(path)


def bag_topics(path: str | Path) -> dict[str, str]:
    """``{topic: msgtype}`` of a rosbag2 directory."""
    with _reader(path) as reader:
        return {c.topic: c.msgtype for c in reader.connections}


def image_topics(path: str | Path, topic: str | None, labels_topic: str) -> list[str]:
    """``[image topic]`` or ``[image topic, labels_topic]`` to read from a bag.

    ``topic`` defaults to the first ``sensor_msgs/Image`` topic that is not ``labels_topic``.
    """
    topics = bag_topics(path)
    images = [t for t, m in topics.items() if m == "sensor_msgs/msg/Image" and t != labels_topic]
    topic = topic or (images[0] if images else None)
    if topic not in topics:
        raise BagError(f"{path}: no image topic {topic!r}; it has {sorted(topics)}")
    return [topic] + ([labels_topic] if labels_topic in topics else [])


def read_messages(path: str | Path, topics: list[str] | None = None) -> Iterator[BagMessage]:
    """Messages of ``topics`` (default all) in log-time order, as raw CDR."""
    with _reader(path) as reader:
        connections = [c for c in reader.connections if topics is None or c.topic in topics]
        if topics is not None:
            missing = set(topics) - {c.topic for c in connections}
            if missing:
                raise BagError(f"{path} has no topic(s) {sorted(missing)}; "
                               f"it has {sorted(c.topic for c in reader.connections)}")
        for conn, timestamp, data in reader.messages(connections=connections):
            yield BagMessage(conn.topic, conn.msgtype, timestamp, bytes(data))


def list_images(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise BagError(f"no images in {folder}")
    return images


def images_to_bag(folder: str | Path, bag: str | Path, topic: str = "/camera/image_raw",
                  fps: float = 10.0, labels: str | Path | None = None,
                  labels_topic: str = "/camera/labels", limit: int | None = None,
                  start_ns: int = 1_700_000_000_000_000_000, frame_id: str = "camera",
                  storage: str = "mcap") -> int:
    """Write the images of ``folder`` (sorted by name) as rgb8 ``sensor_msgs/Image`` at ``fps``.

    With ``labels`` (a folder of same-named label PNGs) each frame's labels go to
    ``labels_topic`` as mono8 with the same header. Header stamps equal log times.
    Returns the number of frames written.
    """
    if fps <= 0:
        raise BagError("fps must be positive")
    images = list_images(folder)[:limit]
    with BagWriter(bag, storage) as writer:
        for i, path in enumerate(images):
            t = start_ns + int(round(i * 1e9 / fps))
            msg = array_to_image(read_rgb(path))
            msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(t, 1_000_000_000)
            msg.header.frame_id = frame_id
            writer.write_msg(topic, t, msg)
            if labels is not None:
                label_path = Path(labels) / path.name
                if not label_path.is_file():
                    raise BagError(f"no label image {label_path} for {path.name}")
                writer.write_msg(labels_topic, t,
                                 array_to_image(np.ascontiguousarray(read_labels(label_path)),
                                                msg.header))
    return len(images)

"""Console scripts: ``spic_bag_from_images``, ``spic_bag_play``, ``spic_bag_record``.

    spic_bag_from_images ../shared/data/camvid/val camvid_val --labels ../shared/data/camvid/valannot
    spic_bag_play camvid_val --rate 1 --loop
    spic_bag_record out_bag /camera/image_raw/spic /camera/image_decoded --count 100

Each accepts ROS arguments after ``--ros-args`` (e.g. ``-r /camera/image_raw:=/cam`` to
remap a played topic). Player and recorder run Fast DDS with the large-frames profile
(:mod:`spic_ros.dds_profile`). Library API: :mod:`spic_ros.bag_io`,
:mod:`spic_ros.bag_replay`.
"""

from __future__ import annotations

import argparse
import sys
import time

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.utilities import remove_ros_args

from spic_ros.bag_io import STORAGES, images_to_bag
from spic_ros.bag_replay import BagRecorder, play_bag, wait_for
from spic_ros.dds_profile import use_default_profile
from spic_ros.qos import INPUT_QOS_CHOICES, input_qos


def _parse(parser: argparse.ArgumentParser, args: list[str] | None) -> argparse.Namespace:
    argv = sys.argv if args is None else args
    return parser.parse_args(remove_ros_args(argv)[1:])


def _init_ros(prog: str, args: list[str] | None) -> bool:
    """``rclpy.init`` with the DDS profile; False (and one line on stderr) when unusable."""
    try:
        use_default_profile()
    except ValueError as exc:
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return False
    rclpy.init(args=sys.argv if args is None else args)
    return True


def from_images_main(args: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spic_bag_from_images",
                                     description="image folder -> rosbag2 of sensor_msgs/Image")
    parser.add_argument("folder")
    parser.add_argument("bag", help="new rosbag2 directory")
    parser.add_argument("--topic", default="/camera/image_raw")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--labels", help="folder of same-named label PNGs (mono8 topic)")
    parser.add_argument("--labels-topic", default="/camera/labels")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--storage", choices=sorted(STORAGES), default="mcap")
    a = _parse(parser, args)
    try:
        n = images_to_bag(a.folder, a.bag, a.topic, a.fps, a.labels, a.labels_topic, a.limit,
                          storage=a.storage)
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"spic_bag_from_images: error: {exc}\n")
        return 1
    print(f"{a.bag}: {n} frames on {a.topic}" + (f" and {a.labels_topic}" if a.labels else ""))
    return 0


def play_main(args: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spic_bag_play",
                                     description="publish a rosbag2 (mcap/sqlite3) on its topics")
    parser.add_argument("bag")
    parser.add_argument("--topics", nargs="+", help="only these topics")
    parser.add_argument("--rate", type=float, default=1.0, help="speed factor (<= 0: no delay)")
    parser.add_argument("--loop", action="store_true")
    parser.add_argument("--wait-subscribers", type=int, default=0, metavar="N",
                        help="wait for N subscribers per played topic before playing")
    parser.add_argument("--discovery-timeout", type=float, default=30.0, metavar="S",
                        help="seconds to wait for those subscribers")
    parser.add_argument("--qos", choices=INPUT_QOS_CHOICES, default="reliable")
    parser.add_argument("--depth", type=int, default=100)
    a = _parse(parser, args)
    if not _init_ros("spic_bag_play", args):
        return 1
    node = Node("spic_bag_play")
    try:
        n = play_bag(node, a.bag, a.topics, a.rate, a.loop, input_qos(a.qos, a.depth),
                     a.wait_subscribers, a.discovery_timeout)
        print(f"published {n} messages")
        return 0
    except (ValueError, OSError, TimeoutError) as exc:
        sys.stderr.write(f"spic_bag_play: error: {exc}\n")
        return 1
    except (KeyboardInterrupt, ExternalShutdownException):
        return 0
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


def _discover_types(node: Node, topics: list[str], timeout: float) -> dict[str, str]:
    """``TOPIC[:TYPE]`` specs -> {topic: type}, types looked up in the ROS graph if absent."""
    wanted = dict((spec.split(":", 1) + [""])[:2] for spec in topics)

    def resolved() -> bool:
        graph = dict(node.get_topic_names_and_types())
        for topic, msgtype in wanted.items():
            if not msgtype and graph.get(topic):
                wanted[topic] = graph[topic][0]
        return all(wanted.values())

    if not wait_for(resolved, timeout, poll=0.1):
        missing = [t for t, m in wanted.items() if not m]
        raise TimeoutError(f"no publisher seen for {missing} after {timeout} s; "
                           "give their types as TOPIC:pkg/msg/Type")
    return wanted


def record_main(args: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spic_bag_record",
                                     description="record topics into a new rosbag2")
    parser.add_argument("bag", help="new rosbag2 directory")
    parser.add_argument("topics", nargs="+", metavar="TOPIC[:TYPE]")
    parser.add_argument("--storage", choices=sorted(STORAGES), default="mcap")
    parser.add_argument("--log-time", choices=["receive", "header"], default="receive")
    parser.add_argument("--count", type=int, help="stop after this many messages in total")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--discovery-timeout", type=float, default=30.0)
    parser.add_argument("--qos", choices=INPUT_QOS_CHOICES, default="reliable")
    parser.add_argument("--depth", type=int, default=100)
    a = _parse(parser, args)
    if not _init_ros("spic_bag_record", args):
        return 1
    node = Node("spic_bag_record")
    recorder = None
    try:
        types = _discover_types(node, a.topics, a.discovery_timeout)
        recorder = BagRecorder(node, a.bag, types, a.storage, a.log_time,
                               input_qos(a.qos, a.depth))
        print(f"recording {', '.join(types)} -> {a.bag}", flush=True)
        end = None if a.duration is None else time.monotonic() + a.duration
        while rclpy.ok() and (a.count is None or recorder.total < a.count) and (
                end is None or time.monotonic() < end):
            rclpy.spin_once(node, timeout_sec=0.1)
        print(f"recorded {recorder.total} messages: {recorder.counts}")
        return 0
    except (ValueError, OSError, TimeoutError) as exc:
        sys.stderr.write(f"spic_bag_record: error: {exc}\n")
        return 1
    except (KeyboardInterrupt, ExternalShutdownException):
        return 0
    finally:
        if recorder is not None:
            recorder.close()
        node.destroy_node()
        rclpy.try_shutdown()

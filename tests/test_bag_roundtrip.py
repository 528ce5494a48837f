"""rosbag2 tools: image folder -> bag -> replay over DDS -> record (separate process) -> bag."""

from __future__ import annotations

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the SemanticFrame message")

from spic_ros.bag_io import (BagError, BagWriter, bag_topics, deserialize,  # noqa: E402
                             images_to_bag, read_messages)
from spic_ros.testing import Process  # noqa: E402

pytestmark = pytest.mark.timeout(120)
FRAMES = 5



@pytest.fixture(scope="module")
def camvid_bag(tmp_path_factory, camvid_dir):
    bag = tmp_path_factory.mktemp("bags") / "camvid"
    n = images_to_bag(camvid_dir / "val", bag, "/cam/image", fps=20,
                      labels=camvid_dir / "valannot", labels_topic="/cam/labels", limit=FRAMES)
    assert n == FRAMES
    return bag


def test_images_to_bag_content(camvid_bag, camvid_dir):
    from spic.datasets import read_labels, read_rgb
    from spic_ros.bag_io import list_images
    from spic_ros.image_conversion import image_to_labels, image_to_rgb

    assert bag_topics(camvid_bag) == {"/cam/image": "sensor_msgs/msg/Image",
                                      "/cam/labels": "sensor_msgs/msg/Image"}
    messages = list(read_messages(camvid_bag, ["/cam/image"]))
    paths = list_images(camvid_dir / "val")[:FRAMES]
    assert [m.timestamp - messages[0].timestamp for m in messages] == [
        i * 50_000_000 for i in range(FRAMES)]
    for m, path in zip(messages, paths):
        image = deserialize(m.data, m.msgtype)
        assert image.header.stamp.sec * 10**9 + image.header.stamp.nanosec == m.timestamp
        np.testing.assert_array_equal(image_to_rgb(image), read_rgb(path))
    label = deserialize(next(read_messages(camvid_bag, ["/cam/labels"])).data, "sensor_msgs/msg/Image")
    np.testing.assert_array_equal(image_to_labels(label),
                                  read_labels(camvid_dir / "valannot" / paths[0].name))


def test_replay_and_record_preserve_counts_timestamps_and_bytes(ros, camvid_bag, tmp_path):
    from rclpy.node import Node

    from spic_ros.bag_replay import play_bag

    recorded = tmp_path / "recorded"
    recorder = Process.script("spic_bag_record", [
        str(recorded), "/cam/image:sensor_msgs/msg/Image", "/cam/labels:sensor_msgs/msg/Image",
        "--count", str(2 * FRAMES), "--log-time", "header", "--storage", "sqlite3"],
        tmp_path / "record.log")
    node = Node("test_bag_play")
    try:
        played = play_bag(node, camvid_bag, rate=4.0, wait_subscribers=1, discovery_timeout=60)
        assert played == 2 * FRAMES
        assert recorder.wait(60) == 0, recorder.output()
    finally:
        node.destroy_node()
        recorder.stop()
    assert f"recorded {2 * FRAMES} messages" in recorder.output()
    original = sorted((m.topic, m.timestamp, m.data) for m in read_messages(camvid_bag))
    copy = sorted((m.topic, m.timestamp, m.data) for m in read_messages(recorded))
    assert len(copy) == len(original) == 2 * FRAMES
    assert [c[:2] for c in copy] == [o[:2] for o in original]  # topics and timestamps
    assert all(c[2] == o[2] for c, o in zip(copy, original))    # payloads bit-exact


def test_replay_keeps_relative_timing(ros, camvid_bag):
    import threading
    import time

    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from sensor_msgs.msg import Image

    from spic_ros.bag_replay import play_bag
    from spic_ros.qos import reliable_qos

    arrivals = []
    listener = Node("test_bag_listen")
    listener.create_subscription(Image, "/timing/image", lambda m: arrivals.append(time.monotonic()),
                                 reliable_qos(50))
    executor = SingleThreadedExecutor()
    executor.add_node(listener)
    threading.Thread(target=executor.spin, daemon=True).start()
    player = Node("test_bag_timing")
    try:
        n = play_bag(player, camvid_bag, ["/cam/image"], rate=0.5, loop=False,
                     wait_subscribers=1, remap={"/cam/image": "/timing/image"})
        deadline = time.monotonic() + 10
        while len(arrivals) < n and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        executor.shutdown()
        player.destroy_node()
        listener.destroy_node()
    assert n == FRAMES and len(arrivals) == FRAMES
    span = arrivals[-1] - arrivals[0]  # 4 gaps of 50 ms at half speed = 0.4 s
    assert 0.25 < span < 1.5, span


def test_bag_writer_reads_back_spic_frames_in_both_storages(tmp_path):
    from spic_ros.msg import SemanticFrame

    for storage in ("mcap", "sqlite3"):
        path = tmp_path / storage
        with BagWriter(path, storage) as writer:
            writer.write_msg("/f", 7, SemanticFrame(width=3, height=2, ssm_codec="png",
                                                    ssm_data=b"\x01\x02"))
        (message,) = read_messages(path)
        frame = deserialize(message.data, message.msgtype)
        assert (message.msgtype, message.timestamp) == ("spic_ros/msg/SemanticFrame", 7)
        assert (frame.width, frame.height, bytes(frame.ssm_data)) == (3, 2, b"\x01\x02")


def test_bag_errors_are_clear(tmp_path, camvid_bag):
    with pytest.raises(BagError, match="not a rosbag2"):
        list(read_messages(tmp_path))
    with pytest.raises(BagError, match="no topic"):
        list(read_messages(camvid_bag, ["/nope"]))
    with pytest.raises(BagError, match="exists"):
        BagWriter(camvid_bag)
    with pytest.raises(BagError, match="no images"):
        images_to_bag(tmp_path, tmp_path / "b")


def test_play_loop_repeats_until_stopped(ros, camvid_bag, tmp_path):
    import threading

    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from sensor_msgs.msg import Image

    from spic_ros.qos import reliable_qos
    from spic_ros.testing import wait_for

    stamps = []
    listener = Node("test_bag_loop")
    listener.create_subscription(Image, "/loop/image", lambda m: stamps.append(m.header.stamp.sec * 10**9
                                                                             + m.header.stamp.nanosec),
                                 reliable_qos(100))
    executor = SingleThreadedExecutor()
    executor.add_node(listener)
    threading.Thread(target=executor.spin, daemon=True).start()
    player = Process.script("spic_bag_play", [
        str(camvid_bag), "--topics", "/cam/image", "--loop", "--rate", "10",
        "--wait-subscribers", "1", "--ros-args", "-r", "/cam/image:=/loop/image"],
        tmp_path / "play.log")
    try:
        assert wait_for(lambda: len(stamps) >= 3 * FRAMES, 60), (len(stamps), player.output())
    finally:
        assert player.stop() == 0, player.output()
        executor.shutdown()
        listener.destroy_node()
    bag_stamps = [m.timestamp for m in read_messages(camvid_bag, ["/cam/image"])]
    # more messages than the bag holds, and nothing but the bag's messages: it looped
    assert len(stamps) >= 3 * FRAMES and set(stamps) == set(bag_stamps)

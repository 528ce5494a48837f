"""Every camera frame is counted: lost before the encoder's callback (publisher sequence gaps),
replaced in its keep-latest slot, or encoded; published = out + dropped + rejected + failed."""

from __future__ import annotations

import os
import threading

import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")

from spic_ros.testing import Process, wait_for  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.timeout(240)]
ENCODER = f"accounting_encoder_{os.getpid()}"  # unique diagnostics name
HANDLED = ("frames_out", "frames_dropped", "frames_rejected", "frames_failed")


def _info(sequence, gid=b"a"):
    return {"publication_sequence_number": sequence, "publisher_gid": {"data": gid}}


def test_sequence_gaps_count_missing_samples_per_publisher():
    from spic_ros.sequence_gaps import SequenceGaps

    gaps = SequenceGaps(max_publishers=2)
    assert [gaps.lost(_info(s)) for s in (7, 8, 11, 12)] == [0, 0, 2, 0]  # 9, 10 missing
    assert gaps.lost(_info(1, b"b")) == 0 and gaps.lost(_info(4, b"b")) == 2  # its own numbers
    assert gaps.lost(_info(3)) == 0  # a restarted publisher starts a new count
    assert gaps.lost(_info(1, b"c")) == 0  # a third publisher: the least recent one ("b") goes
    assert gaps.lost(_info(9, b"b")) == 0 and gaps.supported
    assert gaps.lost({"publication_sequence_number": None, "publisher_gid": None}) == 0
    assert not gaps.supported


def test_drop_reasons_reach_the_diagnostics_and_the_drop_rate():
    from diagnostic_msgs.msg import DiagnosticStatus

    from spic_ros.diagnostics import BEFORE_CALLBACK, NodeStats, diagnostic_status

    stats = NodeStats()
    for _ in range(6):
        stats.count("frames_in")
    stats.count("frames_dropped", BEFORE_CALLBACK, 4)  # lost: never reached frames_in
    stats.count("frames_dropped", "replaced")
    for _ in range(5):
        stats.count("frames_out")
    status = diagnostic_status("spic_encoder: e", "cam", stats)
    values = {kv.key: kv.value for kv in status.values}
    assert values["frames_dropped"] == "5" and values["dropped[before_callback]"] == "4"
    assert values["dropped[replaced]"] == "1" and "rejected[replaced]" not in values
    # 5 of the 10 frames that arrived or were lost on the way: 50 %, at the ERROR limit
    assert (status.level, status.message) == (DiagnosticStatus.WARN, "dropped 50%")
    assert stats.window()["window_dropped[before_callback]"] == 0  # a new window


def test_stamp_pairer_hands_evicted_messages_over():
    from sensor_msgs.msg import Image

    from spic_ros.stamp_pairing import StampPairer

    evicted = []
    pairer = StampPairer(lambda a, b: None, capacity=1,
                         on_evict=lambda side, m: evicted.append((side, m.header.stamp.sec)))
    for sec, add in ((1, pairer.add_first), (2, pairer.add_first), (3, pairer.add_second),
                     (4, pairer.add_second)):
        msg = Image()
        msg.header.stamp.sec = sec
        add(msg)
    assert evicted == [(0, 1), (1, 3)] and pairer.evicted == 2


def _counters(stats) -> dict[str, int]:
    totals = stats.totals()
    return {k: int(totals.get(k, 0)) for k in ("frames_in", *HANDLED,
                                               "dropped[before_callback]")}


def test_frames_lost_before_the_callback_are_counted(ros):
    """Frames overwritten in the encoder's subscription queue while its executor is busy
    (here: not spinning) never reach the callback; their numbers are missing and counted."""
    from rclpy.duration import Duration
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image

    from spic.synthetic import synthetic_clip
    from spic_ros.encoder_node import EncoderNode
    from spic_ros.image_conversion import array_to_image
    from spic_ros.qos import reliable_qos

    depth, burst = 3, 10
    encoder = EncoderNode(node_name=f"queue_encoder_{os.getpid()}", parameter_overrides=[
        Parameter("image_topic", value="/lost/image"), Parameter("input_qos", value="reliable"),
        Parameter("input_depth", value=depth)])
    camera = Node("test_lost_camera")
    publisher = camera.create_publisher(Image, "/lost/image", reliable_qos(100))
    executor = SingleThreadedExecutor()
    executor.add_node(encoder)
    frame = array_to_image(synthetic_clip(1, 96, 64)[0].rgb)

    def spin_until(condition) -> bool:
        for _ in range(500):
            if condition():
                return True
            executor.spin_once(timeout_sec=0.02)
        return False

    stats = encoder.stats
    try:
        assert wait_for(lambda: publisher.get_subscription_count() > 0, 30)
        publisher.publish(frame)  # the first frame: the encoder learns the publisher's numbers
        assert spin_until(lambda: stats.counters["frames_out"] == 1)  # taken and encoded
        for _ in range(burst):  # the encoder's executor is busy: its queue keeps the last 3
            publisher.publish(frame)
        assert publisher.wait_for_all_acked(Duration(seconds=20))
        assert spin_until(lambda: stats.counters["frames_in"] == 1 + depth)
        assert spin_until(lambda: sum(stats.counters[k] for k in HANDLED) == 1 + burst)
        counted = _counters(stats)
    finally:
        executor.shutdown()
        encoder.destroy_node()
        camera.destroy_node()
    assert counted["dropped[before_callback]"] == burst - depth
    assert counted["frames_in"] + counted["dropped[before_callback]"] == 1 + burst
    assert counted["frames_out"] >= 2
    assert counted["frames_rejected"] == counted["frames_failed"] == 0


def test_a_flooded_encoder_process_accounts_for_every_published_frame(ros, tmp_path):
    """Camera frames published as fast as possible to a real ``spic_encoder`` (its default
    segmenter, sensor-data QoS): the worker encodes the newest, the others are dropped and
    counted (replaced, or lost before the callback); nothing goes unseen."""
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image

    from spic.synthetic import synthetic_clip
    from spic_ros.image_conversion import array_to_image
    from spic_ros.msg import SemanticFrame
    from spic_ros.qos import reliable_qos

    encoder = Process.script("spic_encoder", [
        "--ros-args", "-p", "image_topic:=/flood/image", "-p", "diagnostics_period:=0.2",
        "-r", f"__node:={ENCODER}"], tmp_path / "encoder.log")
    node = Node("test_flood")
    stats: dict[str, int] = {}
    coded: list[int] = []
    lock = threading.Lock()

    def on_diagnostics(msg):
        for status in msg.status:
            if status.name == f"spic_encoder: {ENCODER}":
                with lock:
                    stats.update({kv.key: int(float(kv.value)) for kv in status.values
                                  if kv.key.startswith(("frames_", "dropped["))})

    node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
    node.create_subscription(SemanticFrame, "/flood/image/spic",
                             lambda m: coded.append(m.header.stamp.sec), reliable_qos(100))
    camera = node.create_publisher(Image, "/flood/image", qos_profile_sensor_data)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()
    frames = [array_to_image(f.rgb) for f in synthetic_clip(4, 480, 360)]

    def snapshot() -> dict[str, int]:
        with lock:
            return {k: stats.get(k, 0) for k in ("frames_in", *HANDLED,
                                                 "dropped[before_callback]")}

    def idle() -> bool:  # every frame that reached the callback is out, dropped or refused
        s = snapshot()
        return sum(s[k] for k in HANDLED) - s["dropped[before_callback]"] == s["frames_in"]

    def publish(stamp: int) -> None:
        msg = frames[stamp % len(frames)]
        msg.header.stamp.sec = stamp
        camera.publish(msg)

    try:
        assert wait_for(lambda: camera.get_subscription_count() > 0
                        and node.count_publishers("/flood/image/spic") > 0, 90), encoder.output()
        # warm-up: until one frame is through (frames before the encoder matched this publisher
        # cannot be seen by it); counting starts from there
        for stamp in range(1, 121):
            publish(stamp)
            if wait_for(lambda: stamp in coded, 0.5):
                break
        assert coded, encoder.output()
        assert wait_for(lambda: idle() and snapshot()["frames_out"] >= 1, 30), stats
        before = snapshot()
        flood = 80
        for stamp in range(1000, 1000 + flood):  # as fast as this process can publish
            publish(stamp)
        # the newest flood frame that reached the callback gets coded: wait for a coded one, not
        # only for idle(), which a diagnostics snapshot from before the flood also satisfies
        # (a marker sent then could replace the flood frame still waiting in the slot)
        assert wait_for(lambda: set(coded) & set(range(1000, 1000 + flood)) and idle(), 60), stats
        # after the flood, markers until one is coded: each reveals losses before it (best
        # effort may lose a marker too; the next one's sequence number counts it)
        for marker in range(5000, 5010):
            publish(marker)
            if wait_for(lambda: marker in coded, 10):
                break
        assert marker in coded, (stats, encoder.output())
        published = flood + marker - 4999
        assert wait_for(lambda: idle() and snapshot()["frames_in"] + snapshot()[
            "dropped[before_callback]"] - before["frames_in"] - before[
            "dropped[before_callback]"] == published, 30), (before, stats)
        after = snapshot()
    finally:
        executor.shutdown()
        node.destroy_node()
        status = encoder.stop()
    assert status == 0, encoder.output()
    delta = {k: after[k] - before[k] for k in after}
    assert sum(delta[k] for k in HANDLED) == published, delta
    assert delta["frames_in"] + delta["dropped[before_callback]"] == published, delta
    assert delta["frames_dropped"] > 0 and 2 <= delta["frames_out"] < published, delta
    assert delta["frames_rejected"] == delta["frames_failed"] == 0, delta

"""The node executables as real processes: every parameter answers GetParameters (what
``ros2 param dump`` and rqt_reconfigure call); Ctrl-C during a long SCSRDM reconstruction,
even twice (a supervisor's second SIGINT), ends the process promptly with status 0 and no
traceback; a frame the worker cannot publish is counted and the next one still decodes."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the SemanticFrame message")

from spic_ros.testing import Process, wait_for  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.timeout(180)]
SUFFIX = os.getpid()
#: A Ctrl-C'd node exits within this many seconds (launch escalates to SIGTERM after 5 s).
STOP_BOUND_S = 4.5


def _spinning(node):
    from rclpy.executors import SingleThreadedExecutor

    executor = SingleThreadedExecutor()
    executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()
    return executor


def _call(node, client, request, timeout: float = 20.0):
    future = client.call_async(request)
    assert wait_for(future.done, timeout), f"no answer from {client.srv_name}"
    return future.result()


def test_get_parameters_returns_every_declared_parameter_of_both_nodes(ros, tmp_path):
    from rcl_interfaces.msg import ParameterType
    from rcl_interfaces.srv import GetParameters, ListParameters
    from rclpy.node import Node
    from rclpy.parameter import parameter_value_to_python

    from spic_ros.decoder_node import PARAMS as DECODER_PARAMS
    from spic_ros.encoder_node import PARAMS as ENCODER_PARAMS
    from spic_ros.params import defaults

    nodes = {f"enc_params_{SUFFIX}": ("spic_encoder", ENCODER_PARAMS),
             f"dec_params_{SUFFIX}": ("spic_decoder", DECODER_PARAMS)}
    processes = [Process.script(exe, ["--ros-args", "-r", f"__node:={name}"],
                                tmp_path / f"{name}.log") for name, (exe, _) in nodes.items()]
    client_node = Node("test_get_parameters")
    executor = _spinning(client_node)
    try:
        for name, (_, params) in nodes.items():
            lister = client_node.create_client(ListParameters, f"/{name}/list_parameters")
            getter = client_node.create_client(GetParameters, f"/{name}/get_parameters")
            assert wait_for(lambda: lister.service_is_ready() and getter.service_is_ready(), 90), \
                "".join(p.output() for p in processes)
            names = list(_call(client_node, lister, ListParameters.Request()).result.names)
            assert set(defaults(params)) <= set(names)
            values = _call(client_node, getter, GetParameters.Request(names=names)).values
            assert len(values) == len(names), name  # one uninitialised parameter empties it all
            assert all(v.type != ParameterType.PARAMETER_NOT_SET for v in values), name
            got = {n: parameter_value_to_python(v) for n, v in zip(names, values)}
            assert {n: got[n] for n in defaults(params)} == defaults(params)
    finally:
        executor.shutdown()
        client_node.destroy_node()
        statuses = [p.stop() for p in processes]
    assert statuses == [0, 0], "".join(p.output() for p in processes)


def _camvid_frame_msg(stamp: int, size=(480, 360)):
    from spic.pipeline import EncoderConfig, SemanticEncoder
    from spic.synthetic import synthetic_clip
    from spic_ros.frame_message import payload_to_msg

    frame = synthetic_clip(1, *size)[0]
    # the coarse codec the embedded SCSRDM models were trained on
    encoder = SemanticEncoder(EncoderConfig(ssm_codec="png", coarse_codec="bpg",
                                            coarse_quality=35))
    msg = payload_to_msg(encoder.encode(frame.rgb, ssm=frame.labels, label_set="camvid11"))
    msg.header.stamp.sec = stamp
    return msg


def test_sigint_twice_during_a_quality_reconstruction_exits_cleanly(ros, tmp_path):
    """SIGINT arrives while scsrdm-quality (20 guided steps, seconds per frame) reconstructs,
    a second one during shutdown: the reconstruction is cancelled, the process exits 0 fast."""
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.node import Node
    from sensor_msgs.msg import Image

    from spic_ros.msg import SemanticFrame
    from spic_ros.qos import reliable_qos

    name = f"stop_decoder_{SUFFIX}"
    decoder = Process.script("spic_decoder", [
        "--ros-args", "-p", "input_topic:=/stop/spic", "-p", "output_topic:=/stop/decoded",
        "-p", "reconstructor:=scsrdm-quality", "-p", "diagnostics_period:=0.2",
        "-r", f"__node:={name}"], tmp_path / "decoder.log")
    node = Node("test_stop")
    decoded, counters = [], {}
    node.create_subscription(Image, "/stop/decoded", decoded.append, reliable_qos(10))
    node.create_subscription(DiagnosticArray, "/diagnostics", lambda m: counters.update(
        {kv.key: kv.value for s in m.status if s.name == f"spic_decoder: {name}"
         for kv in s.values}), 10)
    publisher = node.create_publisher(SemanticFrame, "/stop/spic", reliable_qos(10))
    executor = _spinning(node)
    try:
        assert wait_for(lambda: publisher.get_subscription_count() > 0, 90), decoder.output()
        publisher.publish(_camvid_frame_msg(1))
        # the worker took the frame and is reconstructing (seconds): interrupt it now
        assert wait_for(lambda: counters.get("frames_in") == "1", 30), decoder.output()
        assert counters["frames_out"] == "0"
        interrupted = time.monotonic()
        decoder.signal(signal.SIGINT)
        decoder.signal(signal.SIGINT)
        status = decoder.wait(timeout=30)
        took = time.monotonic() - interrupted
    finally:
        executor.shutdown()
        node.destroy_node()
        decoder.stop()
    output = decoder.output()
    assert status == 0, output
    assert took < STOP_BOUND_S, (took, output)
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert "context is invalid" not in output and "terminate called" not in output, output
    assert not decoded  # cancelled between diffusion steps, not finished


@pytest.mark.parametrize("executable", ["spic_encoder", "spic_decoder"])
def test_repeated_sigint_while_idle_exits_zero(executable, tmp_path):
    from spic_ros.testing import isolated_ros_env

    isolated_ros_env(tmp_path / "log")
    proc = Process.script(executable, ["--ros-args", "-p", "diagnostics_period:=0.1",
                                       "-r", f"__node:=idle_{SUFFIX}"], tmp_path / "node.log")
    assert wait_for(lambda: "->" in proc.output() or not proc.running(), 90), proc.output()
    for _ in range(3):
        proc.signal(signal.SIGINT)
    assert proc.wait(timeout=STOP_BOUND_S + 5) == 0, proc.output()
    assert "Traceback" not in proc.output(), proc.output()


def test_decoder_worker_survives_a_frame_it_cannot_publish(ros):
    """A reconstructor (a registry plug-in) returning a 2-channel image for odd widths: that
    frame fails image conversion in the worker, is counted and logged; decoding goes on."""
    from rclpy.node import Node
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image

    from spic.reconstruction import RECONSTRUCTORS, Reconstructor
    from spic_ros.decoder_node import DecoderNode
    from spic_ros.msg import SemanticFrame
    from spic_ros.qos import reliable_qos

    class OddWidthsBreak(Reconstructor):
        def reconstruct(self, coarse, ssm, label_set, downscale, **metadata):
            h, w = ssm.shape
            return np.zeros((h, w, 2 if w % 2 else 3), np.uint8)

    RECONSTRUCTORS.register("test-odd-widths-break")(OddWidthsBreak)
    decoder = DecoderNode(node_name=f"worker_{SUFFIX}", parameter_overrides=[
        Parameter("input_topic", value="/worker/spic"),
        Parameter("output_topic", value="/worker/decoded"),
        Parameter("reconstructor", value="test-odd-widths-break")])
    node = Node("test_worker")
    decoded = []
    node.create_subscription(Image, "/worker/decoded", decoded.append, reliable_qos(10))
    publisher = node.create_publisher(SemanticFrame, "/worker/spic", reliable_qos(10))
    executor = _spinning(node)
    executor.add_node(decoder)
    counters = decoder.stats.counters
    try:
        assert wait_for(lambda: publisher.get_subscription_count() > 0
                        and node.count_publishers("/worker/decoded") > 0, 30)
        for stamp, width in enumerate((33, 32, 35, 34), start=1):
            publisher.publish(_camvid_frame_msg(stamp, (width, 24)))
            assert wait_for(lambda: counters["frames_out"] + counters["frames_failed"]
                            + counters["frames_rejected"] == stamp, 30), decoder.stats.totals()
        assert wait_for(lambda: len(decoded) == 2, 10)
    finally:
        executor.shutdown()
        decoder.destroy_node()
        node.destroy_node()
    assert counters["frames_out"] == 2 and counters["frames_failed"] == 2
    assert decoder.stats.totals()["rejected[ImageFormatError]"] == 2
    assert [m.width for m in decoded] == [32, 34] and not decoder._worker.is_alive()


@pytest.mark.parametrize("labels", [False, True], ids=["segmenting", "coding_labels"])
def test_replaying_a_labelled_bag_plays_what_the_encoder_reads(labels, ros, tmp_path):
    """What replay.launch.py starts: the player waits for a reader on each topic it plays,
    so it plays the labels only when the encoder codes them (the bag has both)."""
    from rclpy.node import Node

    from spic.synthetic import synthetic_clip, write_clip
    from spic_ros.bag_io import images_to_bag
    from spic_ros.msg import SemanticFrame
    from spic_ros.qos import reliable_qos

    images, label_maps = write_clip(tmp_path / "clip", synthetic_clip(2, 64, 48))
    bag = tmp_path / "bag"
    images_to_bag(images, bag, "/replay/image", labels=label_maps, labels_topic="/replay/labels")
    node_args = ["-p", "image_topic:=/replay/image", "-p", "input_qos:=reliable",
                 "-p", "keep_latest:=false",  # both frames, though played back to back
                 "-r", f"__node:=replay_encoder_{SUFFIX}"]
    if labels:
        node_args += ["-p", "labels_topic:=/replay/labels"]
    encoder = Process.script("spic_encoder", ["--ros-args", *node_args], tmp_path / "enc.log")
    node = Node("test_replay")
    frames = []
    node.create_subscription(SemanticFrame, "/replay/image/spic", frames.append, reliable_qos(10))
    executor = _spinning(node)
    topics = ["/replay/image", "/replay/labels"] if labels else ["/replay/image"]
    try:
        assert wait_for(lambda: node.count_publishers("/replay/image/spic") > 0, 60), \
            encoder.output()
        player = Process.script("spic_bag_play", [
            str(bag), "--rate", "0", "--wait-subscribers", "1", "--discovery-timeout", "60",
            "--topics", *topics], tmp_path / "play.log")
        assert player.wait(timeout=90) == 0, player.output() + encoder.output()
        assert wait_for(lambda: len(frames) == 2, 60), encoder.output()
        if not labels:  # every topic of the bag: nobody reads the labels, so it must fail
            unread = Process.script("spic_bag_play", [
                str(bag), "--wait-subscribers", "1", "--discovery-timeout", "10"],
                tmp_path / "unread.log")
            assert unread.wait(timeout=60) == 1
            assert "no subscriber on /replay/labels" in unread.output()
    finally:
        executor.shutdown()
        node.destroy_node()
        assert encoder.stop() == 0, encoder.output()
    assert {f.label_set for f in frames} == {"camvid11"}

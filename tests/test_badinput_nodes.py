"""Bad input never kills a node nor blocks later frames: each is rejected, logged and counted.

The nodes run in this process and receive everything over real DDS topics.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")
pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the SemanticFrame message")

from spic_ros.testing import isolated_ros_env, wait_for  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.timeout(120)]
MAX_PIXELS = 4_000_000


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """Encoder (SSM from a paired label topic) + decoder + a test node, spinning in a thread."""
    isolated_ros_env(tmp_path_factory.mktemp("ros_log"))
    rclpy.init()
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.node import Node
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image

    from spic_ros.decoder_node import DecoderNode
    from spic_ros.encoder_node import EncoderNode
    from spic_ros.msg import SemanticFrame
    from spic_ros.qos import reliable_qos

    def params(**kw):
        return [Parameter(k, value=v) for k, v in kw.items()]

    encoder = EncoderNode(parameter_overrides=params(
        image_topic="/bad/image", labels_topic="/bad/labels", ssm_codec="png",
        coarse_codec="webp", coarse_quality=70, input_qos="reliable", input_depth=20,
        max_pixels=MAX_PIXELS))
    decoder = DecoderNode(parameter_overrides=params(
        input_topic="/bad/image/spic", output_topic="/bad/decoded", ssm_topic="/bad/ssm",
        input_depth=100, max_pixels=MAX_PIXELS, reconstructor="bicubic"))
    node = Node("test_bad_input")
    qos = reliable_qos(100)
    pubs = {"image": node.create_publisher(Image, "/bad/image", qos),
            "labels": node.create_publisher(Image, "/bad/labels", qos),
            "frame": node.create_publisher(SemanticFrame, "/bad/image/spic", qos)}
    out: dict[str, list] = {"decoded": [], "ssm": [], "frames": []}
    node.create_subscription(Image, "/bad/decoded", out["decoded"].append, qos)
    node.create_subscription(Image, "/bad/ssm", out["ssm"].append, qos)
    node.create_subscription(SemanticFrame, "/bad/image/spic", out["frames"].append, qos)
    executor = MultiThreadedExecutor()
    for n in (encoder, decoder, node):
        executor.add_node(n)
    threading.Thread(target=executor.spin, daemon=True).start()
    assert wait_for(lambda: all(p.get_subscription_count() > 0 for p in pubs.values())
                    and node.count_publishers("/bad/ssm") > 0, 30)
    yield encoder, decoder, pubs, out
    executor.shutdown()
    for n in (encoder, decoder, node):
        n.destroy_node()
    rclpy.try_shutdown()


def _image(array: np.ndarray, encoding: str, stamp: int):
    """An Image message built field by field (no validation: tests send bad ones too)."""
    from sensor_msgs.msg import Image
    msg = Image(height=array.shape[0], width=array.shape[1], encoding=encoding,
                step=array.shape[1] * (array.shape[2] if array.ndim == 3 else 1),
                data=array.tobytes())
    msg.header.stamp.sec = stamp
    return msg


def _processed(stats) -> int:
    c = stats.counters
    return c["frames_out"] + c["frames_rejected"] + c["frames_failed"]


def _send_image(chain, image, labels_shape=None) -> None:
    """Publish an image with a matching label map; wait until the encoder handled it."""
    from spic_ros.image_conversion import array_to_image
    encoder, _, pubs, _ = chain
    before = _processed(encoder.stats)
    h, w = labels_shape or (image.height, image.width)
    labels = array_to_image(np.full((max(h, 1), max(w, 1)), 3, np.uint8), image.header)
    pubs["labels"].publish(labels)
    pubs["image"].publish(image)
    assert wait_for(lambda: _processed(encoder.stats) > before, 20), encoder.stats.totals()


def _send_frame(chain, frame) -> None:
    _, decoder, pubs, _ = chain
    before = _processed(decoder.stats)
    pubs["frame"].publish(frame)
    assert wait_for(lambda: _processed(decoder.stats) > before, 20), decoder.stats.totals()


def _good(chain, stamp: int, h: int = 37, w: int = 53, encoding: str = "rgb8") -> None:
    """A valid frame still goes all the way through, at its size, with its exact SSM."""
    encoder, decoder, _, out = chain
    channels = {"mono8": 1, "rgba8": 4, "bgra8": 4}.get(encoding, 3)
    rng = np.random.default_rng(stamp)
    pixels = rng.integers(0, 256, (h, w, channels) if channels > 1 else (h, w), dtype=np.uint8)
    counts = {k: len(v) for k, v in out.items()}
    _send_image(chain, _image(pixels, encoding, stamp))
    assert wait_for(lambda: all(len(out[k]) > counts[k] for k in out)
                    and _coded_frame(out, stamp) is not None, 20)
    decoded, ssm = out["decoded"][-1], out["ssm"][-1]
    assert decoded.header.stamp.sec == ssm.header.stamp.sec == stamp
    assert (decoded.height, decoded.width, decoded.encoding) == (h, w, "rgb8")
    assert set(np.frombuffer(ssm.data, np.uint8)) == {3}


def test_encoder_rejects_bad_images_and_keeps_going(chain):
    encoder = chain[0]
    _good(chain, 1)
    bad = [
        _image(np.zeros((4, 4, 2), np.uint8), "16UC1", 2),          # unsupported encoding
        _image(np.zeros((4, 4, 3), np.uint8), "yuv422", 3),         # unsupported encoding
        _image(np.zeros((0, 0, 3), np.uint8), "rgb8", 4),           # 0x0
    ]
    truncated = _image(np.zeros((10, 10, 3), np.uint8), "rgb8", 5)
    truncated.data = bytes(truncated.data[:-7])                     # data shorter than step*height
    bad.append(truncated)
    short_step = _image(np.zeros((10, 10, 3), np.uint8), "rgb8", 6)
    short_step.step = 10                                            # step < width * 3
    bad.append(short_step)
    absurd = _image(np.zeros((1, 1, 3), np.uint8), "rgb8", 7)
    absurd.width, absurd.height, absurd.step = 100_000, 100_000, 300_000  # refused before allocating
    bad.append(absurd)
    for i, image in enumerate(bad):
        rejected = encoder.stats.counters["frames_rejected"]
        _send_image(chain, image, labels_shape=(4, 4))
        assert encoder.stats.counters["frames_rejected"] == rejected + 1, i
        _good(chain, 100 + i)
    # labels whose size disagrees with the image
    rejected = encoder.stats.counters["frames_rejected"]
    _send_image(chain, _image(np.zeros((8, 8, 3), np.uint8), "rgb8", 8), labels_shape=(8, 9))
    assert encoder.stats.counters["frames_rejected"] == rejected + 1
    reasons = encoder.stats.totals()
    assert reasons["rejected[ImageFormatError]"] >= 4 and reasons["rejected[ImageTooLargeError]"] == 1


@pytest.mark.parametrize("h,w,encoding", [(1, 1, "rgb8"), (1, 7, "bgr8"), (5, 1, "mono8"),
                                          (33, 47, "rgba8"), (22, 31, "bgra8"), (361, 479, "rgb8")])
def test_tiny_and_odd_sizes_round_trip(chain, h, w, encoding):
    _good(chain, 1000 + h * 1000 + w, h, w, encoding)


def _coded_frame(out, stamp: int):
    """The SemanticFrame the encoder published for ``stamp`` (tests publish mutated ones too)."""
    frames = [f for f in out["frames"] if f.header.stamp.sec == stamp]
    return frames[0] if frames else None


def _valid_frame(chain, stamp: int):
    """A real SemanticFrame as the encoder produced it for a 37x53 frame."""
    _good(chain, stamp)
    return _coded_frame(chain[3], stamp)


def _mutated(frame, **fields):
    from spic_ros.msg import SemanticFrame
    copy = SemanticFrame()
    for name in SemanticFrame.get_fields_and_field_types():
        setattr(copy, name, getattr(frame, name))
    for name, value in fields.items():
        setattr(copy, name, value)
    return copy


def test_decoder_rejects_bad_frames_and_keeps_going(chain):
    decoder, out = chain[1], chain[3]
    frame = _valid_frame(chain, 5000)
    ssm, coarse = bytes(frame.ssm_data), bytes(frame.coarse_data)
    bad = {
        "truncated ssm": _mutated(frame, ssm_data=ssm[: len(ssm) // 2]),
        "truncated coarse": _mutated(frame, coarse_data=coarse[:10]),
        "corrupt coarse": _mutated(frame, coarse_data=coarse[:20] + bytes(len(coarse) - 20)),
        "empty payload": _mutated(frame, ssm_data=b"", coarse_data=b""),
        "unknown ssm codec": _mutated(frame, ssm_codec="nope"),
        "unknown coarse codec": _mutated(frame, coarse_codec="h266"),
        "unknown label set": _mutated(frame, label_set="mapillary"),
        "class count mismatch": _mutated(frame, num_classes=19),
        "width disagrees": _mutated(frame, width=frame.width + 4, coarse_width=frame.coarse_width + 1),
        "height disagrees": _mutated(frame, height=frame.height - 4, coarse_height=frame.coarse_height - 1),
        "coarse size disagrees": _mutated(frame, coarse_width=frame.coarse_width + 1),
        "zero size": _mutated(frame, width=0, height=0, coarse_width=0, coarse_height=0),
        "absurd size": _mutated(frame, width=60_000, height=60_000, coarse_width=15_000,
                                coarse_height=15_000),
        "zero downscale": _mutated(frame, downscale=0),
        "future version": _mutated(frame, version=9),
        "lossy codec as ssm": _mutated(frame, ssm_codec=frame.coarse_codec, ssm_data=coarse),
    }
    for i, (name, msg) in enumerate(bad.items()):
        rejected = decoder.stats.counters["frames_rejected"]
        n = len(out["decoded"])
        _send_frame(chain, msg)
        assert decoder.stats.counters["frames_rejected"] == rejected + 1, name
        assert len(out["decoded"]) == n, name
        _good(chain, 6000 + i)
    assert decoder.stats.counters["frames_failed"] == 0
    assert decoder.stats.totals()["rejected[PayloadError]"] >= 10


def test_decoder_counts_skipped_frames_instead_of_queueing(chain):
    """Frames arriving faster than decoding: the newest wins, the rest are counted as dropped."""
    decoder = chain[1]
    frame = _valid_frame(chain, 5001)
    stats = decoder.stats.counters
    before_in, before_out, before_drop = stats["frames_in"], stats["frames_out"], stats["frames_dropped"]
    burst = 30
    gate = threading.Lock()
    reconstructor = decoder.decoder.reconstructor
    original = reconstructor.reconstruct_batch

    def slow_reconstruct(frames):  # the real reconstruction, behind a gate held meanwhile
        with gate:
            return original(frames)

    reconstructor.reconstruct_batch = slow_reconstruct
    try:
        with gate:
            for _ in range(burst):
                chain[2]["frame"].publish(frame)
            assert wait_for(lambda: stats["frames_in"] - before_in == burst, 20)
        assert wait_for(lambda: stats["frames_out"] + stats["frames_dropped"]
                        - before_out - before_drop == burst, 20)
    finally:
        del reconstructor.reconstruct_batch  # the class's method again
    assert stats["frames_dropped"] - before_drop >= burst - 3  # at most the in-flight ones decode


def test_encoder_parameters_are_validated_and_applied_at_runtime(chain):
    from rclpy.parameter import Parameter

    encoder, out = chain[0], chain[3]
    results = encoder.set_parameters([Parameter("ssm_codec", value="webp"),
                                      Parameter("coarse_codec", value="nope"),
                                      Parameter("image_topic", value="/elsewhere")])
    assert [r.successful for r in results] == [False, False, False]
    assert "not lossless" in results[0].reason and "unknown codec" in results[1].reason
    assert encoder.set_parameters([Parameter("coarse_quality", value=30)])[0].successful
    _good(chain, 7000)
    frame = _coded_frame(out, 7000)
    assert frame.coarse_quality == 30 and frame.ssm_codec == "png"
    assert encoder.set_parameters([Parameter("coarse_quality", value=70)])[0].successful


def test_decoder_counts_inter_maps_without_their_reference_and_resumes_at_a_keyframe(chain):
    """A receiver joining mid-stream: inter maps before the next keyframe are rejected and
    counted (MissingReferenceError), every later map comes out exactly."""
    from spic.pipeline import EncoderConfig, SemanticEncoder
    from spic.synthetic import synthetic_clip
    from spic_ros.frame_message import payload_to_msg
    from std_msgs.msg import Header

    _, decoder, pubs, out = chain
    frames = synthetic_clip(9, 64, 48, seed=11)
    encoder = SemanticEncoder(EncoderConfig(keyframe_interval=4, coarse_codec="webp",
                                            coarse_quality=70))
    payloads = [encoder.encode(f.rgb, ssm=f.labels, label_set="camvid11") for f in frames]
    stats = decoder.stats
    before = stats.reasons.get("MissingReferenceError", 0)
    count = len(out["ssm"])
    for index in range(2, 9):  # joins at frame 2; frame 4 is the next keyframe
        done = stats.counters["frames_out"] + stats.counters["frames_rejected"]
        header = Header()
        header.stamp.sec = 9000 + index
        pubs["frame"].publish(payload_to_msg(payloads[index], header))
        assert wait_for(lambda: stats.counters["frames_out"] + stats.counters["frames_rejected"]
                        > done, 30)
    assert stats.reasons.get("MissingReferenceError", 0) - before == 2
    assert wait_for(lambda: len(out["ssm"]) - count == 5, 10)
    got = {m.header.stamp.sec: np.frombuffer(bytes(m.data), np.uint8).reshape(48, 64)
           for m in out["ssm"][count:]}
    assert sorted(got) == [9000 + i for i in range(4, 9)]
    for index in range(4, 9):
        assert np.array_equal(got[9000 + index], frames[index].labels)

"""The real decoder node over DDS: frames/s delivered at a camera rate, and every skip counted.

    .venv/bin/python benchmarks/bench_decoder_node.py --reconstructor scsrdm-fast --fps 10
    .venv/bin/python benchmarks/bench_decoder_node.py --reconstructor scsrdm-quality --seconds 20

CamVid val frames (ground-truth maps, the vehicle's default codecs: FLIF + BPG q35) are coded
once in this process, then published as ``SemanticFrame`` at ``--fps`` for ``--seconds`` to a
``spic_decoder`` started as a separate process. Prints delivered fps, the decoder's own
counters from /diagnostics (in, out, dropped = skipped by its keep-latest slot) and whether
every published frame is accounted for (out + dropped + rejected + failed = published).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def coded_frames(count: int) -> list:
    """``count`` SemanticFrame messages of CamVid val frames (synthetic frames without data)."""
    from spic.datasets import camvid_samples, read_labels, read_rgb
    from spic.pipeline import EncoderConfig, SemanticEncoder
    from spic_ros.frame_message import payload_to_msg

    encoder = SemanticEncoder(EncoderConfig())
    camvid = SHARED / "data" / "camvid"
    if camvid.exists():
        frames = [(read_rgb(s.image), read_labels(s.labels))
                  for s in camvid_samples(camvid, "val")[:count]]
    else:
        from spic.synthetic import synthetic_clip
        frames = [(f.rgb, f.labels) for f in synthetic_clip(count)]
    return [payload_to_msg(encoder.encode(rgb, ssm=labels, label_set="camvid11"))
            for rgb, labels in frames]


def run(args: argparse.Namespace) -> dict:
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import Image

    from spic_ros.msg import SemanticFrame
    from spic_ros.qos import reliable_qos
    from spic_ros.testing import Process, isolated_ros_env, wait_for

    isolated_ros_env()
    messages = coded_frames(args.frames)
    name = f"bench_decoder_{os.getpid()}"
    log = Path(tempfile.mkdtemp(prefix="bench_decoder_")) / "decoder.log"
    decoder = Process.script("spic_decoder", [
        "--ros-args", "-p", "input_topic:=/bench/spic", "-p", "output_topic:=/bench/decoded",
        "-p", "publish_ssm:=false", "-p", f"reconstructor:={args.reconstructor}",
        "-p", "diagnostics_period:=0.5", "-r", f"__node:={name}"], log)
    rclpy.init()
    node = rclpy.create_node("bench_decoder_client")
    delivered: list[float] = []
    stats: dict[str, str] = {}
    node.create_subscription(Image, "/bench/decoded", lambda m: delivered.append(time.perf_counter()),
                             reliable_qos(10))

    def on_diagnostics(msg):
        for status in msg.status:
            if status.name == f"spic_decoder: {name}":
                stats.update({kv.key: kv.value for kv in status.values})

    node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
    publisher = node.create_publisher(SemanticFrame, "/bench/spic", reliable_qos(10))
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        if not wait_for(lambda: publisher.get_subscription_count() > 0
                        and node.count_publishers("/bench/decoded") > 0, 120):
            raise RuntimeError("decoder did not come up:\n" + decoder.output())
        # warm-up frame (model load, first-call allocations), not counted
        publisher.publish(messages[0])
        if not wait_for(lambda: len(delivered) >= 1, 120):
            raise RuntimeError("no warm-up frame came back:\n" + decoder.output())
        wait_for(lambda: stats.get("frames_out") == "1", 5)
        base_in, base_out = int(stats.get("frames_in", 1)), len(delivered)
        total = int(args.fps * args.seconds)
        start = time.perf_counter()
        for i in range(total):
            time.sleep(max(0.0, start + i / args.fps - time.perf_counter()))
            publisher.publish(messages[i % len(messages)])
        sent_seconds = time.perf_counter() - start
        wait_for(lambda: int(stats.get("frames_in", 0)) - base_in >= total, 30)
        # wait until the decoder has finished what it holds (out + dropped reaches in)
        wait_for(lambda: sum(int(stats.get(k, 0)) for k in ("frames_out", "frames_dropped",
                                                             "frames_rejected", "frames_failed"))
                 >= int(stats.get("frames_in", 0)), 60)
        time.sleep(1.0)  # one more diagnostics period
        got = len(delivered) - base_out
        counted = {k: int(stats.get(k, 0)) for k in ("frames_in", "frames_out", "frames_dropped",
                                                     "frames_rejected", "frames_failed")}
        window = [t for t in delivered[base_out:] if t <= start + sent_seconds]
        return {
            "reconstructor": args.reconstructor, "published": total, "camera_fps": args.fps,
            "seconds": round(sent_seconds, 2), "delivered": got,
            "delivered_fps": round(len(window) / sent_seconds, 2),
            "decoder_counters": counted,
            "all_accounted": counted["frames_in"] - 1 == total and
            counted["frames_out"] + counted["frames_dropped"] + counted["frames_rejected"]
            + counted["frames_failed"] == counted["frames_in"],
            "latency_total_ms": stats.get("latency_total_ms"),
            "load_avg": [round(v, 2) for v in os.getloadavg()],
        }
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown()
        spinner.join(timeout=5)
        decoder.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reconstructor", default="scsrdm-fast")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--frames", type=int, default=20, help="distinct frames, cycled")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(run(args), indent=2))
    except RuntimeError as exc:
        print(f"bench_decoder_node: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

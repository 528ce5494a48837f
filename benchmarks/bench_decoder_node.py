"""The real decoder node over DDS: frames/s delivered at a camera rate, and every skip counted.

    .venv/bin/python benchmarks/bench_decoder_node.py --reconstructor scsrdm-fast --fps 10
    .venv/bin/python benchmarks/bench_decoder_node.py --reconstructor scsrdm-quality --seconds 20
    .venv/bin/python benchmarks/bench_decoder_node.py --streams 4       # one node, four cameras

CamVid val frames (ground-truth maps, the vehicle's default codecs: SLC + BPG q35) are coded
once in this process, then published as ``SemanticFrame`` at ``--fps`` for ``--seconds`` on
each of ``--streams`` topics to one ``spic_decoder`` started as a separate process. Prints,
per stream, delivered fps, the decoder's own counters from /diagnostics (in, out, dropped =
skipped by its keep-latest slot) and whether every published frame is accounted for
(out + dropped + rejected + failed = published); and the total delivered fps.
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


COUNTERS = ("frames_in", "frames_out", "frames_dropped", "frames_rejected", "frames_failed")


def stream_topics(count: int) -> list[tuple[str, str, str]]:
    """(diagnostics suffix, input topic, output topic) of each stream: one stream uses the
    node's single-stream topics, several use ``streams:=s0,s1,...``."""
    if count == 1:
        return [("", "/bench/spic", "/bench/decoded")]
    return [(f"/s{i}", f"/s{i}/image_raw/spic", f"/s{i}/image_decoded") for i in range(count)]


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
    topics = stream_topics(args.streams)
    log = Path(tempfile.mkdtemp(prefix="bench_decoder_")) / "decoder.log"
    layout = (["-p", "input_topic:=/bench/spic", "-p", "output_topic:=/bench/decoded"]
              if args.streams == 1 else
              ["-p", "streams:=" + ",".join(f"s{i}" for i in range(args.streams))])
    decoder = Process.script("spic_decoder", [
        "--ros-args", *layout, "-p", "publish_ssm:=false",
        "-p", f"reconstructor:={args.reconstructor}", "-p", "diagnostics_period:=0.5",
        *(["-p", f"reconstructor_options:={args.reconstructor_options}"]
          if args.reconstructor_options else []),
        "-p", f"max_batch:={args.max_batch}",
        "-r", f"__node:={name}"], log)
    rclpy.init()
    node = rclpy.create_node("bench_decoder_client")
    delivered: list[list[float]] = [[] for _ in topics]
    stats: list[dict[str, str]] = [{} for _ in topics]
    names = {f"spic_decoder: {name}{suffix}": i for i, (suffix, _, _) in enumerate(topics)}
    for i, (_, _, output) in enumerate(topics):
        node.create_subscription(Image, output, lambda m, i=i: delivered[i].append(
            time.perf_counter()), reliable_qos(10))

    def on_diagnostics(msg):
        for status in msg.status:
            if status.name in names:
                stats[names[status.name]].update({kv.key: kv.value for kv in status.values})

    def counter(i: int, key: str) -> int:
        return int(stats[i].get(key, 0))

    node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
    publishers = [node.create_publisher(SemanticFrame, topic, reliable_qos(10))
                  for _, topic, _ in topics]
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    streams = range(len(topics))
    try:
        if not wait_for(lambda: all(p.get_subscription_count() > 0 for p in publishers)
                        and all(node.count_publishers(o) > 0 for _, _, o in topics), 120):
            raise RuntimeError("decoder did not come up:\n" + decoder.output())
        # warm-up frame per stream (model load, first-call allocations), not counted
        for publisher in publishers:
            publisher.publish(messages[0])
        if not wait_for(lambda: all(delivered[i] for i in streams), 120):
            raise RuntimeError("no warm-up frame came back:\n" + decoder.output())
        wait_for(lambda: all(counter(i, "frames_out") == 1 for i in streams), 5)
        base_in = [counter(i, "frames_in") for i in streams]
        base_out = [len(d) for d in delivered]
        total = int(args.fps * args.seconds)
        start = time.perf_counter()
        for k in range(total):
            time.sleep(max(0.0, start + k / args.fps - time.perf_counter()))
            for publisher in publishers:  # every camera at the same rate
                publisher.publish(messages[k % len(messages)])
        sent_seconds = time.perf_counter() - start
        wait_for(lambda: all(counter(i, "frames_in") - base_in[i] >= total for i in streams), 30)
        # wait until the decoder has finished what it holds (out + dropped reaches in)
        wait_for(lambda: all(sum(counter(i, k) for k in COUNTERS[1:]) >= counter(i, "frames_in")
                             for i in streams), 60)
        time.sleep(1.0)  # one more diagnostics period
        rows = []
        for i in streams:
            counted = {k: counter(i, k) for k in COUNTERS}
            window = [t for t in delivered[i][base_out[i]:] if t <= start + sent_seconds]
            rows.append({
                "output_topic": topics[i][2], "delivered": len(delivered[i]) - base_out[i],
                "delivered_fps": round(len(window) / sent_seconds, 2),
                "decoder_counters": counted,
                "all_accounted": counted["frames_in"] - 1 == total and
                sum(counted[k] for k in COUNTERS[1:]) == counted["frames_in"],
                "latency_total_ms": stats[i].get("latency_total_ms"),
                "batch_frames_mean": stats[i].get("batch_frames")})
        return {
            "reconstructor": args.reconstructor,
            "reconstructor_options": args.reconstructor_options, "streams": args.streams,
            "max_batch": args.max_batch,
            "published_per_stream": total, "camera_fps": args.fps,
            "seconds": round(sent_seconds, 2),
            "delivered_fps_total": round(sum(r["delivered_fps"] for r in rows), 2),
            "all_accounted": all(r["all_accounted"] for r in rows), "per_stream": rows,
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
    parser.add_argument("--reconstructor-options", metavar="K=V,...",
                        help="the node's reconstructor_options, e.g. precision=float32-frozen")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--frames", type=int, default=20, help="distinct frames, cycled")
    parser.add_argument("--streams", type=int, default=1,
                        help="cameras served by the one decoder (streams:=s0,s1,...), each at --fps")
    parser.add_argument("--max-batch", type=int, default=8,
                        help="the node's max_batch: streams reconstructed together per pass")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(run(args), indent=2))
    except RuntimeError as exc:
        print(f"bench_decoder_node: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

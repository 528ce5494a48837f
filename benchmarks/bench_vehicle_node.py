"""The real encoder node over DDS, flooded: frames/s capacity, per-stage ms, every drop counted.

    .venv/bin/python benchmarks/bench_vehicle_node.py
    .venv/bin/python benchmarks/bench_vehicle_node.py --sizes 480x360 --rate 30 --seconds 20
    .venv/bin/python benchmarks/bench_vehicle_node.py --param ssm_codec:=flif

For each size a ``spic_encoder`` is started as a separate process (its defaults, plus
``--param``) and fed CamVid val frames (resized to the size; synthetic frames without the
data) over sensor-data QoS at ``--rate`` fps, faster than it encodes, from this process (run
with the shipped Fast DDS profile, as a camera driver should be). Prints the encoder's fps
capacity (SemanticFrames out per second while flooded), the mean ms of each stage over the
flood (the node's own measurements from /diagnostics), its drop counters (``replaced``: by a
newer frame in its keep-latest slot; ``before_callback``: lost in DDS) and whether every
published frame is accounted for (in + lost before the callback = published = out + dropped +
rejected + failed).
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
COUNTERS = ("frames_in", "frames_out", "frames_dropped", "frames_rejected", "frames_failed",
            "dropped[replaced]", "dropped[before_callback]")
STAGES = ("queue", "convert", "segment", "ssm_encode", "coarse_encode", "total")


def camera_frames(count: int, width: int, height: int) -> list:
    """``count`` rgb8 Image messages of CamVid val frames at ``width`` x ``height``."""
    import cv2

    from spic_ros.image_conversion import array_to_image

    camvid = SHARED / "data" / "camvid"
    if camvid.exists():
        from spic.datasets import camvid_samples, read_rgb
        images = [read_rgb(s.image) for s in camvid_samples(camvid, "val")[:count]]
    else:
        from spic.synthetic import synthetic_clip
        images = [f.rgb for f in synthetic_clip(count)]
    return [array_to_image(cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR)
                           if rgb.shape[:2] != (height, width) else rgb)
            for rgb in images]


class Probe:
    """This process's side: the camera publisher, the SemanticFrames and the node's counters."""

    def __init__(self, name: str, topic: str) -> None:
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.node import Node
        from rclpy.qos import qos_profile_sensor_data
        from sensor_msgs.msg import Image

        from spic_ros.msg import SemanticFrame
        from spic_ros.qos import reliable_qos

        self.node = Node(f"bench_vehicle_probe_{name}")
        self.values: dict[str, float] = {}
        self.coded: dict[int, float] = {}  # stamp sec -> arrival (perf_counter)
        self.updates = 0  # diagnostics messages of the node received
        self._lock = threading.Lock()
        self._status = f"spic_encoder: {name}"
        self.camera = self.node.create_publisher(Image, topic, qos_profile_sensor_data)
        self.node.create_subscription(SemanticFrame, topic + "/spic", self._on_frame,
                                      reliable_qos(100))
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        threading.Thread(target=self.executor.spin, daemon=True).start()

    def _on_frame(self, msg) -> None:
        self.coded[msg.header.stamp.sec] = time.perf_counter()

    def _on_diagnostics(self, msg) -> None:
        for status in msg.status:
            if status.name == self._status:
                with self._lock:
                    self.values.update({kv.key: float(kv.value) for kv in status.values
                                        if kv.key.startswith(("frames_", "dropped[", "latency_"))})
                    self.updates += 1

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return {k: self.values.get(k, 0.0) for k in
                    (*COUNTERS, *(f"latency_{s}_ms" for s in STAGES))}

    def idle(self) -> bool:
        """Every frame that reached the node's callback is out, dropped or refused."""
        s = self.snapshot()
        handled = sum(s[k] for k in ("frames_out", "frames_dropped", "frames_rejected",
                                     "frames_failed"))
        return handled - s["dropped[before_callback]"] == s["frames_in"]

    def publish(self, msg, stamp: int) -> None:
        msg.header.stamp.sec = stamp
        self.camera.publish(msg)

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()


def stage_means(before: dict, after: dict) -> dict[str, float]:
    """Mean ms of each stage over the frames coded between two snapshots (the node reports
    lifetime means)."""
    n0, n1 = before["frames_out"], after["frames_out"]
    return {stage: round((after[f"latency_{stage}_ms"] * n1 - before[f"latency_{stage}_ms"] * n0)
                         / (n1 - n0), 1) for stage in STAGES} if n1 > n0 else {}


def run_size(width: int, height: int, args: argparse.Namespace, log_dir: Path) -> dict:
    from spic_ros.testing import Process, wait_for

    name = f"bench_vehicle_{os.getpid()}_{width}x{height}"
    topic = f"/bench_{width}x{height}/image"
    frames = camera_frames(args.frames, width, height)
    params = [item for p in args.param for item in ("-p", p)]
    encoder = Process.script("spic_encoder", [
        "--ros-args", "-p", f"image_topic:={topic}", "-p", "diagnostics_period:=0.25", *params,
        "-r", f"__node:={name}"], log_dir / f"encoder_{width}x{height}.log")
    probe = Probe(name, topic)
    try:
        if not wait_for(lambda: probe.camera.get_subscription_count() > 0
                        and probe.node.count_publishers(topic + "/spic") > 0, 120):
            raise RuntimeError("encoder did not come up:\n" + encoder.output())
        for stamp in range(1, 241):  # warm-up (model load, first calls), not measured
            probe.publish(frames[0], stamp)
            if wait_for(lambda: stamp in probe.coded, 0.5):
                break
        if not probe.coded or not wait_for(lambda: probe.idle() and probe.snapshot()[
                "frames_out"] >= 1, 30):
            raise RuntimeError("no warm-up frame came back:\n" + encoder.output())
        before = probe.snapshot()
        total = int(args.rate * args.seconds)
        start = time.perf_counter()
        for i in range(total):
            time.sleep(max(0.0, start + i / args.rate - time.perf_counter()))
            probe.publish(frames[i % len(frames)], 1000 + i)
        sent_seconds = time.perf_counter() - start
        wait_for(probe.idle, 30)
        probe.publish(frames[0], 1000 + total)  # reveals losses at the flood's tail
        published = total + 1

        def accounted() -> bool:
            s = probe.snapshot()
            return probe.idle() and (s["frames_in"] + s["dropped[before_callback]"]
                                     - before["frames_in"]
                                     - before["dropped[before_callback]"]) >= published
        wait_for(accounted, 30)
        seen = probe.updates  # one more report, so the last frame's timings are in
        wait_for(lambda: probe.updates > seen, 5)
        after = probe.snapshot()
    finally:
        probe.close()
        encoder.stop()
    delta = {k: int(after[k] - before[k]) for k in COUNTERS}
    window = [t for s, t in probe.coded.items() if 1000 <= s < 1000 + total
              and t <= start + sent_seconds]
    handled = sum(delta[k] for k in ("frames_out", "frames_dropped", "frames_rejected",
                                     "frames_failed"))
    return {
        "size": f"{width}x{height}", "camera_fps": args.rate, "published": published,
        "seconds": round(sent_seconds, 2),
        "capacity_fps": round(len(window) / sent_seconds, 2),
        "stage_ms": stage_means(before, after), "counters": delta,
        "all_accounted": handled == published
        and delta["frames_in"] + delta["dropped[before_callback]"] == published,
    }


def run(args: argparse.Namespace) -> dict:
    import rclpy

    from spic_ros.dds_profile import use_default_profile
    from spic_ros.testing import isolated_ros_env

    isolated_ros_env()
    use_default_profile()  # this process is the camera: large frames need the profile
    log_dir = Path(tempfile.mkdtemp(prefix="bench_vehicle_"))
    rclpy.init()
    try:
        rows = [run_size(*map(int, size.split("x")), args, log_dir) for size in args.sizes]
    finally:
        rclpy.shutdown()
    return {"encoder_params": args.param, "rows": rows, "logs": str(log_dir),
            "cpus": os.cpu_count(), "load_avg": [round(v, 2) for v in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["480x360", "1280x720"])
    parser.add_argument("--rate", type=float, default=60.0, help="camera frames per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--frames", type=int, default=20, help="distinct frames, cycled")
    parser.add_argument("--param", action="append", default=[], metavar="NAME:=VALUE",
                        help="an encoder parameter (repeatable)")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(run(args), indent=2))
    except RuntimeError as exc:
        print(f"bench_vehicle_node: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

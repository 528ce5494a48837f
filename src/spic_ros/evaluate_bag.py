"""``spic_evaluate_bag``: replay a rosbag2 through SPIC and report what it costs and delivers.

    spic_evaluate_bag BAG [--topic /camera/image_raw] [--labels-topic /camera/labels]
                      [--mode nodes|offline] [--rate 1.0] [--out report.json]

``nodes`` (default): the encoder and decoder nodes run in this process
(:mod:`spic_ros.loopback`, shared with ``spic-demo``) and talk over real DDS topics; the
bag's images are published at the bag's own timing scaled by ``--rate`` (``--rate 0``:
lock-step, the next frame once the previous came back, so nothing is dropped). ``offline``: the same parts through ``spic.pipeline``
without ROS. Reports bandwidth (bytes/s at the bag's frame rate, bpp), per-stage latency
percentiles, frames dropped, and image metrics (PSNR, LPIPS-Alex; judge mIoU against the
label images when the bag carries them on ``--labels-topic`` and a judge is available).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spic.payload import SemanticPayload

NAMESPACE = "/spic_evaluate_bag"
PERCENTILES = (50, 90, 99)


@dataclass
class FrameResult:
    """One bag frame: what was sent and what came back."""

    stamp: int                       # header stamp, ns
    original: np.ndarray
    labels: np.ndarray | None
    sent: float = 0.0
    payload: SemanticPayload | None = None
    encoded_at: float = 0.0
    decoded: np.ndarray | None = None
    decoded_at: float = 0.0


def percentiles(values: list[float]) -> dict[str, float] | None:
    """p50/p90/p99/max/mean of a list (None when empty)."""
    if not values:
        return None
    arr = np.asarray(values, np.float64)
    out = {f"p{p}": float(np.percentile(arr, p)) for p in PERCENTILES}
    out.update(max=float(arr.max()), mean=float(arr.mean()), count=int(arr.size))
    return out


def load_frames(bag: Path, topic: str | None, labels_topic: str,
                limit: int | None) -> list[FrameResult]:
    """The bag's images (and same-stamp label images) in log order."""
    from spic_ros.bag_io import BagError, deserialize, image_topics, read_messages
    from spic_ros.image_conversion import image_to_labels, image_to_rgb

    wanted = image_topics(bag, topic, labels_topic)
    topic = wanted[0]
    frames: dict[int, FrameResult] = {}
    labels: dict[int, np.ndarray] = {}
    for message in read_messages(bag, wanted):
        msg = deserialize(message.data, message.msgtype)
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        if message.topic == topic:
            if limit is not None and len(frames) >= limit:
                continue
            frames[stamp] = FrameResult(stamp, image_to_rgb(msg), None)
        else:
            labels[stamp] = image_to_labels(msg)
    for stamp, frame in frames.items():
        frame.labels = labels.get(stamp)
    if not frames:
        raise BagError(f"{bag}: no images on {topic}")
    return list(frames.values())


def _node_parameters(args: argparse.Namespace) -> tuple[dict, dict]:
    """Parameter overrides of the parts chosen on the command line (node defaults otherwise)."""
    # measure SPIC, not DDS loss: every frame is queued and encoded in order
    enc = {"input_qos": "reliable", "input_depth": args.queue_depth, "keep_latest": False}
    for key in ("segmenter", "segmenter_model", "ssm_codec", "coarse_codec", "coarse_quality",
                "downscale"):
        if getattr(args, key) is not None:
            enc[key] = getattr(args, key)
    dec = {"reconstructor": args.reconstructor} if args.reconstructor else {}
    if args.reconstructor_option:
        dec["reconstructor_options"] = ",".join(args.reconstructor_option)
    return enc, dec


def run_nodes(frames: list[FrameResult], args: argparse.Namespace) -> dict:
    """Publish the frames to real encoder/decoder nodes and collect what comes back."""
    from spic_ros.frame_message import msg_to_payload
    from spic_ros.image_conversion import array_to_image, image_to_rgb
    from spic_ros.loopback import Loopback

    enc, dec = _node_parameters(args)
    loop = Loopback(NAMESPACE, enc, dec, ssm=False, depth=max(100, args.queue_depth))
    try:
        loop.wait_discovery(args.discovery_timeout)
        start = time.perf_counter()
        first = frames[0].stamp
        records = []
        for frame in frames:
            msg = array_to_image(frame.original)
            msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(frame.stamp, 1_000_000_000)
            msg.header.frame_id = "camera"
            if args.rate > 0:
                delay = start + (frame.stamp - first) / 1e9 / args.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            records.append(loop.send(msg))
            if args.rate <= 0:
                records[-1].done.wait(args.timeout)
        loop.wait_for_tail(records, args.timeout)
        counters = {"encoder": dict(loop.encoder.stats.counters),
                    "decoder": dict(loop.decoder.stats.counters)}
        reconstructor = loop.decoder.params["reconstructor"]
    finally:
        loop.close()
    for frame, record in zip(frames, records):
        frame.sent = record.sent
        if record.frame is not None:
            frame.payload, frame.encoded_at = msg_to_payload(record.frame), record.arrived["frame"]
        if record.decoded is not None:
            frame.decoded, frame.decoded_at = image_to_rgb(record.decoded), record.arrived["decoded"]
    stages = {}
    for side, measured in loop.measurements.items():
        for key in sorted({k for m in measured for k in m if k.startswith("latency_")}):
            stages[f"{side}.{key[len('latency_'):-len('_ms')]}"] = [
                m[key] for m in measured if key in m]
    stages["transport+encode"] = [1e3 * (f.encoded_at - f.sent) for f in frames if f.payload]
    stages["end_to_end"] = [1e3 * (f.decoded_at - f.sent) for f in frames
                            if f.decoded is not None]
    return {"stages_ms": stages, "counters": counters, "reconstructor": reconstructor}


def run_offline(frames: list[FrameResult], args: argparse.Namespace) -> dict:
    """The same parts through spic.pipeline, one frame after another, no ROS."""
    from spic.pipeline import SemanticDecoder, SemanticEncoder
    from spic_ros.decoder_node import PARAMS as DEC_PARAMS, decoder_config
    from spic_ros.encoder_node import PARAMS as ENC_PARAMS, encoder_config
    from spic_ros.params import defaults

    enc, dec = _node_parameters(args)
    encoder = SemanticEncoder(encoder_config({**defaults(ENC_PARAMS), **enc}))
    dec = {**defaults(DEC_PARAMS), **dec}
    decoder = SemanticDecoder(decoder_config(dec))
    stages: dict[str, list[float]] = {}
    fallbacks = 0
    for frame in frames:
        frame.sent = time.perf_counter()
        payload = encoder.encode(frame.original)
        frame.payload = SemanticPayload.from_bytes(payload.to_bytes())
        frame.encoded_at = time.perf_counter()
        for key, value in encoder.timings.items():
            stages.setdefault(f"encoder.{key}", []).append(1e3 * value)
        decoded = decoder.decode(frame.payload)
        frame.decoded = decoded.rgb
        fallbacks += decoded.fallback_reason is not None
        frame.decoded_at = time.perf_counter()
        for key, value in decoder.timings.items():
            stages.setdefault(f"decoder.{key}", []).append(1e3 * value)
        stages.setdefault("end_to_end", []).append(1e3 * (frame.decoded_at - frame.sent))
    return {"stages_ms": stages, "counters": {"decoder": {"frames_fallback": fallbacks}},
            "reconstructor": dec["reconstructor"]}


def image_metrics(frames: list[FrameResult], args: argparse.Namespace) -> dict:
    """PSNR and LPIPS-Alex of the decoded frames; judge mIoU where labels exist."""
    from spic.confusion import ConfusionMatrix
    from spic.eval.psnr import mse, psnr_from_mse

    done = [f for f in frames if f.decoded is not None]
    if not done:
        return {}
    errors = [mse(f.original, f.decoded) for f in done]
    out: dict = {"psnr_mean": float(np.mean([psnr_from_mse(e) for e in errors])),
                 "psnr_of_mean_mse": psnr_from_mse(float(np.mean(errors)))}
    if "lpips-alex" in args.metrics:
        from spic.eval.lpips import Lpips

        lpips = Lpips("alex")
        out["lpips_alex_mean"] = float(np.mean([lpips(f.original, f.decoded) for f in done]))
    labelled = [f for f in done if f.labels is not None]
    judge_path = args.judge or _default_judge()
    if labelled and "miou" in args.metrics and judge_path is not None:
        from spic.eval.judge import Judge

        judge = Judge(judge_path, args.label_set, threads=args.threads)
        k = judge.target.num_classes
        recon, original = ConfusionMatrix(k), ConfusionMatrix(k)
        for f in labelled:
            recon.update(f.labels, judge.segment(f.decoded))
            original.update(f.labels, judge.segment(f.original))
        out["judge"] = judge.describe()
        out["miou_labels"] = recon.mean_iou()
        out["miou_labels_of_originals"] = original.mean_iou()
        out["frames_with_labels"] = len(labelled)
    return out


def _default_judge() -> Path | None:
    from spic.eval.judge import default_judge_path

    return default_judge_path()


def report(frames: list[FrameResult], run: dict, args: argparse.Namespace,
           wall: float) -> dict:
    """The JSON report: rates, bandwidth, latency percentiles, drops, image metrics."""
    coded = [f for f in frames if f.payload is not None]
    decoded = [f for f in frames if f.decoded is not None]
    h, w = frames[0].original.shape[:2]
    span = (frames[-1].stamp - frames[0].stamp) / 1e9
    fps = (len(frames) - 1) / span if span > 0 else None
    rates = {}
    if coded:
        nbytes = np.array([f.payload.num_bytes for f in coded], np.float64)
        bpp = [f.payload.bpp() for f in coded]
        rates = {
            "bytes_per_frame_mean": float(nbytes.mean()),
            "bytes_per_frame_max": float(nbytes.max()),
            "bpp": {k: float(np.mean([b[k] for b in bpp])) for k in ("ssm", "coarse", "total")},
            "bag_fps": fps,
            "bytes_per_second_at_bag_fps": float(nbytes.mean() * fps) if fps else None,
            "raw_rgb_bytes_per_frame": int(w * h * 3),
        }
    return {
        "bag": str(args.bag), "mode": args.mode,
        "rate": args.rate if args.mode == "nodes" else None,
        "size": [int(w), int(h)],
        "reconstructor": run["reconstructor"],
        "frames": {"in_bag": len(frames), "encoded": len(coded), "decoded": len(decoded),
                   "dropped": len(frames) - len(decoded)},
        "counters": run["counters"],
        "rate_and_bandwidth": rates,
        "latency_ms": {stage: percentiles(values) for stage, values in run["stages_ms"].items()},
        "metrics": image_metrics(frames, args),
        "wall_seconds": wall,
        "load_average": list(os.getloadavg()),
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spic_evaluate_bag", description=__doc__.split("\n")[0])
    p.add_argument("bag", type=Path, help="rosbag2 directory (mcap or sqlite3)")
    p.add_argument("--topic", help="image topic (default: the bag's first Image topic)")
    p.add_argument("--labels-topic", default="/camera/labels",
                   help="mono8 label images with the images' stamps (for mIoU)")
    p.add_argument("--label-set", default="camvid11", help="label set of the label images")
    p.add_argument("--mode", choices=("nodes", "offline"), default="nodes")
    p.add_argument("--rate", type=float, default=1.0,
                   help="nodes mode: bag-time speed factor; 0 = lock-step (no drops)")
    p.add_argument("--limit", type=int, help="only the first N frames")
    p.add_argument("--out", type=Path, help="write the JSON report here")
    p.add_argument("--metrics", default="psnr,lpips-alex,miou",
                   help="image metrics (subset of psnr,lpips-alex,miou); psnr is always on")
    p.add_argument("--judge", type=Path, help="judge ONNX model for mIoU (default: "
                   "../shared/models/espnetv2_cityscapes.onnx when present)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the tail")
    p.add_argument("--discovery-timeout", type=float, default=30.0)
    p.add_argument("--queue-depth", type=int, default=5,
                   help="encoder camera queue depth (reliable, keep last)")
    parts = p.add_argument_group("SPIC parts (default: the nodes' defaults)")
    parts.add_argument("--segmenter")
    parts.add_argument("--segmenter-model")
    parts.add_argument("--ssm-codec")
    parts.add_argument("--coarse-codec")
    parts.add_argument("-q", "--coarse-quality", type=int)
    parts.add_argument("--downscale", type=int)
    parts.add_argument("--reconstructor")
    parts.add_argument("--reconstructor-option", action="append", metavar="KEY=VALUE")
    return p


def _print(rep: dict) -> None:
    f, r = rep["frames"], rep["rate_and_bandwidth"]
    fallbacks = rep["counters"].get("decoder", {}).get("frames_fallback", 0)
    print(f"spic_evaluate_bag: {f['decoded']}/{f['in_bag']} frames decoded ({f['dropped']} "
          f"dropped), {rep['size'][0]}x{rep['size'][1]}, mode {rep['mode']}, reconstructor "
          f"{rep['reconstructor']}" + (f" ({fallbacks} frame(s) by the fallback)"
                                       if fallbacks else ""))
    if r:
        bw = r["bytes_per_second_at_bag_fps"]
        print(f"  rate        {r['bytes_per_frame_mean']:.0f} B/frame, {r['bpp']['total']:.4f} bpp "
              f"(ssm {r['bpp']['ssm']:.4f}, coarse {r['bpp']['coarse']:.4f})"
              + (f", {bw:.0f} B/s at {r['bag_fps']:.2f} fps" if bw else ""))
    for stage, p in rep["latency_ms"].items():
        if p:
            print(f"  latency     {stage:<24} p50 {p['p50']:8.1f}  p90 {p['p90']:8.1f}  "
                  f"p99 {p['p99']:8.1f} ms")
    for key, value in rep["metrics"].items():
        if isinstance(value, float):
            print(f"  metric      {key:<24} {value:.4f}")
    print(f"  load average {', '.join(f'{x:.2f}' for x in rep['load_average'])}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    args.metrics = {m.strip() for m in args.metrics.split(",") if m.strip()}
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    started = time.perf_counter()
    try:
        frames = load_frames(args.bag, args.topic, args.labels_topic, args.limit)
        if args.mode == "nodes":
            from spic_ros.dds_profile import use_default_profile
            use_default_profile()
        run = run_nodes(frames, args) if args.mode == "nodes" else run_offline(frames, args)
        rep = report(frames, run, args, time.perf_counter() - started)
    except (ValueError, OSError, TimeoutError) as exc:
        sys.stderr.write(f"spic_evaluate_bag: error: {exc}\n")
        return 1
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rep, indent=1))
    _print(rep)
    return 0


if __name__ == "__main__":
    sys.exit(main())

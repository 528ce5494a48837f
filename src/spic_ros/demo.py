"""``spic-demo``: replay a clip through the encoder and decoder nodes, write frames and a report.

    spic-demo                          # a generated synthetic street scene with labels
    spic-demo BAG_DIR [--topic T]      # a rosbag2 (mcap/sqlite3): its sensor_msgs/Image topic
    spic-demo IMAGE_DIR [--labels DIR] # an image folder (labels: same-named label PNGs)
    spic-demo /camera/image_raw        # a live topic: the next --frames frames

The encoder and decoder nodes run in this process on a multi-threaded executor and talk over
real DDS topics. Frames from files go in lock-step (next frame once the previous one came
back), so latencies are per frame. With labels the SSM is the ground truth; otherwise the
configured segmenter runs. Writes ``frames/NNNN.png`` (reconstructions), ``contact_sheet.png``
(original | SSM | decoded coarse | reconstruction) and ``summary.json`` to ``--output``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
from PIL import Image as PILImage

from spic.codecs import create_codec
from spic.eval.psnr import psnr
from spic.labelsets import get_label_set
from spic_ros.dds_profile import use_default_profile
from spic_ros.loopback import Loopback, stamp_key

NAMESPACE = "/spic_demo"


@dataclass
class SourceFrame:
    image: object              # sensor_msgs/Image as it will be published
    labels: object | None      # mono8 sensor_msgs/Image with the same header, or None


def _stamped(msg, index: int, fps: float):
    t = int(round(index * 1e9 / fps))
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(t, 1_000_000_000)
    msg.header.frame_id = "camera"
    return msg


def synthetic_source(frames: int, fps: float) -> Iterator[SourceFrame]:
    from spic.synthetic import synthetic_clip
    from spic_ros.image_conversion import array_to_image
    for i, f in enumerate(synthetic_clip(frames)):
        image = _stamped(array_to_image(f.rgb), i, fps)
        yield SourceFrame(image, array_to_image(f.labels, image.header))


def folder_source(folder: Path, labels: Path | None, frames: int, fps: float) -> Iterator[SourceFrame]:
    from spic.datasets import read_labels, read_rgb
    from spic_ros.bag_io import list_images
    from spic_ros.image_conversion import array_to_image
    for i, path in enumerate(list_images(folder)[:frames or None]):
        image = _stamped(array_to_image(read_rgb(path)), i, fps)
        lab = (array_to_image(np.ascontiguousarray(read_labels(labels / path.name)), image.header)
               if labels else None)
        yield SourceFrame(image, lab)


def bag_source(bag: Path, topic: str | None, labels_topic: str, frames: int) -> Iterator[SourceFrame]:
    from spic_ros.bag_io import deserialize, image_topics, read_messages
    wanted = image_topics(bag, topic, labels_topic)
    topic = wanted[0]
    pending: dict[tuple[int, int], SourceFrame] = {}
    count = 0
    for m in read_messages(bag, wanted):
        msg = deserialize(m.data, m.msgtype)
        key = (msg.header.stamp.sec, msg.header.stamp.nanosec)
        if len(wanted) == 1:
            yield SourceFrame(msg, None)
            count += 1
        elif key in pending:
            other = pending.pop(key)
            yield (SourceFrame(msg, other.labels) if m.topic == topic
                   else SourceFrame(other.image, msg))
            count += 1
        else:
            pending[key] = SourceFrame(msg, None) if m.topic == topic else SourceFrame(None, msg)
        if frames and count >= frames:
            return


def start_loopback(args: argparse.Namespace, live_topic: str | None,
                   with_labels: bool) -> Loopback:
    """The nodes with the parts chosen on the command line (node defaults otherwise)."""
    enc = {key: getattr(args, key) for key in ("segmenter", "segmenter_model", "ssm_codec",
                                               "coarse_codec", "coarse_quality")
           if getattr(args, key) is not None}
    dec = {"reconstructor": args.reconstructor} if args.reconstructor else {}
    if args.reconstructor_option:
        dec["reconstructor_options"] = ",".join(args.reconstructor_option)
    return Loopback(NAMESPACE, enc, dec, live_topic=live_topic, labels=with_labels)


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((18, tile.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, tile], axis=0)


def _report(demo: Loopback, keys: list, originals: dict, out: Path, started: float, args,
            source: str) -> dict:
    from spic_ros.frame_message import msg_to_payload
    from spic_ros.image_conversion import image_to_labels, image_to_rgb
    frames_dir = out / "frames"
    frames_dir.mkdir(parents=True, exist_ok=True)
    per_frame, rows = [], []
    for i, key in enumerate(keys):
        r = demo.records.get(key)
        if r is None or not r.done.is_set():
            continue
        original = image_to_rgb(originals[key])
        decoded = image_to_rgb(r.decoded)
        ssm = image_to_labels(r.ssm)
        payload = msg_to_payload(r.frame)
        PILImage.fromarray(decoded).save(frames_dir / f"{i:04d}.png")
        bpp = payload.bpp()
        per_frame.append({
            "index": i, "ssm_bytes": len(payload.ssm_data), "coarse_bytes": len(payload.coarse_data),
            "bytes": payload.num_bytes, "bpp": bpp["total"], "bpp_ssm": bpp["ssm"],
            "bpp_coarse": bpp["coarse"], "psnr_db": round(psnr(original, decoded), 3),
            "ssm_exact": bool(np.array_equal(ssm, image_to_labels(r.encoder_ssm))),
            # publish -> all outputs received; unknown for live topics (not published here)
            "latency_ms": None if demo.live else round(1e3 * (max(r.arrived.values()) - r.sent),
                                                       3),
        })
        if len(rows) < args.sheet_rows:
            coarse = create_codec(payload.coarse_codec).decode(payload.coarse_data)
            h, w = decoded.shape[:2]
            coarse_up = cv2.resize(coarse, (coarse.shape[1] * payload.downscale,
                                            coarse.shape[0] * payload.downscale),
                                   interpolation=cv2.INTER_NEAREST)[:h, :w]
            colour = get_label_set(payload.label_set).colorize(ssm)
            tiles = [original, colour, coarse_up, decoded]
            names = ["original", f"SSM ({payload.ssm_codec})",
                     f"coarse ({payload.coarse_codec} q{payload.coarse_quality})",
                     f"reconstruction ({demo.decoder.params['reconstructor']})"]
            rows.append(np.concatenate([_label(t, n) for t, n in zip(tiles, names)], axis=1))
    if rows:
        PILImage.fromarray(np.concatenate(rows, axis=0)).save(out / "contact_sheet.png")
    if not per_frame:
        raise RuntimeError("no frame came back from the decoder")
    enc, dec = demo.encoder.stats.totals(), demo.decoder.stats.totals()
    def mean(key: str) -> float | None:
        values = [f[key] for f in per_frame if f[key] is not None]
        return float(np.mean(values)) if values else None

    width, height = original.shape[1], original.shape[0]
    summary = {
        "source": source, "frames_sent": len(keys), "frames_decoded": len(per_frame),
        "size": [int(width), int(height)],
        "encoder": {k: demo.encoder.params[k] for k in (
            "segmenter", "ssm_codec", "coarse_codec", "coarse_quality", "downscale")},
        "labels": "ground truth" if demo.encoder.params["labels_topic"] else "segmenter",
        "reconstructor": demo.decoder.params["reconstructor"],
        "fallback_reconstructor": demo.decoder.params["fallback_reconstructor"],
        "bytes_per_frame": {"ssm": mean("ssm_bytes"), "coarse": mean("coarse_bytes"),
                            "total": mean("bytes"), "raw_rgb": int(width) * int(height) * 3},
        "bpp": {"ssm": mean("bpp_ssm"), "coarse": mean("bpp_coarse"), "total": mean("bpp")},
        "compression_ratio": int(width) * int(height) * 3 / mean("bytes"),
        "bandwidth_kbit_s_at_fps": {"fps": args.fps, "kbit_s": 8e-3 * mean("bytes") * args.fps},
        "psnr_db_mean": mean("psnr_db"),
        "ssm_exact_all_frames": all(f["ssm_exact"] for f in per_frame),
        "latency_ms": {
            "end_to_end_mean": mean("latency_ms"),
            "encoder": {k[len("latency_"):-3]: round(v, 3) for k, v in enc.items()
                        if k.startswith("latency_")},
            "decoder": {k[len("latency_"):-3]: round(v, 3) for k, v in dec.items()
                        if k.startswith("latency_")},
        },
        "counters": {"encoder": {k: enc[k] for k in enc if k.startswith(("frames_", "rejected"))},
                     "decoder": {k: dec[k] for k in dec if k.startswith(("frames_", "rejected"))}},
        "wall_s": round(time.perf_counter() - started, 3),
        "load_average": os.getloadavg(),
        "frames": per_frame,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _print_summary(s: dict, out: Path) -> None:
    b, lat = s["bytes_per_frame"], s["latency_ms"]
    print(f"spic-demo: {s['frames_decoded']}/{s['frames_sent']} frames of {s['size'][0]}x"
          f"{s['size'][1]} from {s['source']} ({s['labels']} SSM)")
    fallbacks = s["counters"]["decoder"]["frames_fallback"]
    print(f"  encoder  {s['encoder']}  reconstructor {s['reconstructor']}"
          + (f" ({fallbacks} frame(s) by {s['fallback_reconstructor']})" if fallbacks else ""))
    print(f"  bytes/frame  ssm {b['ssm']:.0f} + coarse {b['coarse']:.0f} = {b['total']:.0f} "
          f"(raw {b['raw_rgb']}, {s['compression_ratio']:.0f}:1), {s['bpp']['total']:.4f} bpp")
    print(f"  bandwidth    {s['bandwidth_kbit_s_at_fps']['kbit_s']:.1f} kbit/s at "
          f"{s['bandwidth_kbit_s_at_fps']['fps']:g} fps;  PSNR {s['psnr_db_mean']:.2f} dB;  "
          f"decoded SSM == encoder SSM: {s['ssm_exact_all_frames']}")
    e2e = "n/a" if lat["end_to_end_mean"] is None else f"{lat['end_to_end_mean']:.1f} ms"
    print(f"  latency      end-to-end {e2e}; encoder "
          + ", ".join(f"{k} {v:.1f}" for k, v in lat["encoder"].items()) + "; decoder "
          + ", ".join(f"{k} {v:.1f}" for k, v in lat["decoder"].items()))
    print(f"  load average {', '.join(f'{x:.2f}' for x in s['load_average'])}")
    print(f"  wrote {out / 'frames'}/, {out / 'contact_sheet.png'}, {out / 'summary.json'}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spic-demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", nargs="?", help="rosbag2 dir, image dir or live /topic "
                   "(default: generated synthetic clip)")
    p.add_argument("-o", "--output", type=Path, default=Path("out/demo"), help="output folder")
    p.add_argument("--frames", type=int, default=12, help="frames to process (0: all)")
    p.add_argument("--fps", type=float, default=10.0, help="nominal frame rate for bandwidth")
    p.add_argument("--topic", help="image topic inside a bag")
    p.add_argument("--labels", type=Path, help="label folder for an image-folder source")
    p.add_argument("--labels-topic", default="/camera/labels", help="label topic inside a bag")
    p.add_argument("--segmenter", help="segmenter registry name (default: the encoder node's)")
    p.add_argument("--segmenter-model", help="model file for the segmenter")
    p.add_argument("--ssm-codec", help="lossless SSM codec (default: the encoder node's)")
    p.add_argument("--coarse-codec", help="coarse codec (default: the encoder node's)")
    p.add_argument("-q", "--coarse-quality", type=int, help="coarse codec quality")
    p.add_argument("--reconstructor", help="reconstructor (default: the decoder node's, "
                   "scsrdm; bicubic: fast)")
    p.add_argument("--reconstructor-option", action="append", metavar="KEY=VALUE",
                   help="reconstructor option (repeatable), e.g. steps=20")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait per frame")
    p.add_argument("--sheet-rows", type=int, default=4, help="frames in the contact sheet")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE",
                          "SUBNET" if args.source and args.source.startswith("/") and
                          not Path(args.source).exists() else "LOCALHOST")
    started = time.perf_counter()
    live = args.source if args.source and args.source.startswith("/") and not Path(
        args.source).exists() else None
    if args.source is None:
        source, frames, with_labels = "synthetic street scene", synthetic_source(
            args.frames or 12, args.fps), True
    elif live:
        source, frames, with_labels = f"live topic {live}", None, False
    elif (Path(args.source) / "metadata.yaml").is_file():
        from spic_ros.bag_io import bag_topics
        with_labels = args.labels_topic in bag_topics(args.source)
        source = f"rosbag2 {args.source}"
        frames = bag_source(Path(args.source), args.topic, args.labels_topic, args.frames)
    elif Path(args.source).is_dir():
        source, with_labels = f"image folder {args.source}", args.labels is not None
        frames = folder_source(Path(args.source), args.labels, args.frames, args.fps)
    else:
        sys.stderr.write(f"spic-demo: {args.source} is not a rosbag2, image folder or /topic\n")
        return 2
    try:
        use_default_profile()
        demo = start_loopback(args, live, with_labels)
    except Exception as exc:  # configuration errors: report, don't trace
        sys.stderr.write(f"spic-demo: cannot start the nodes: {exc}\n")
        return 1
    try:
        demo.wait_discovery()
        if live:
            def live_done() -> list:
                return [k for k in demo.done() if k in demo.originals]
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline and len(live_done()) < (args.frames or 12):
                time.sleep(0.05)
            keys, originals = live_done()[: args.frames or 12], demo.originals
        else:
            keys, originals = [], {}
            for frame in frames:  # lock-step: the next frame once this one came back
                key = stamp_key(frame.image.header)
                keys.append(key)
                originals[key] = frame.image
                demo.send(frame.image, frame.labels).done.wait(args.timeout)
        summary = _report(demo, keys, originals, args.output, started, args, source)
    except (ValueError, OSError, TimeoutError, RuntimeError) as exc:
        sys.stderr.write(f"spic-demo: error: {exc}\n")
        return 1
    finally:
        demo.close()
    _print_summary(summary, args.output)
    return 0

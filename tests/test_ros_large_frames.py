"""Large camera frames over sensor-data QoS: the Fast DDS profile the console scripts use.

The stream test plays 1280x720 rgb8 at 10 fps with ``spic_bag_play`` into
``spic_bag_record``: two processes started as every spic_ros console script starts (with the
shipped profile unless the user chose one). benchmarks/bench_large_frames.py measures the
other sizes, with and without the profile.
"""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

rclpy = pytest.importorskip("rclpy")

from spic_ros.dds_profile import (CHOICE_VARIABLE, FASTDDS_VARIABLE,  # noqa: E402
                                  LEGACY_VARIABLE, shipped_profile, use_default_profile)
from spic_ros.params import ConfigurationError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def test_the_shipped_profile_is_the_default_unless_the_user_chose_one(tmp_path):
    shipped = shipped_profile()
    assert shipped == REPO / "config" / "fastdds_large_frames.xml"
    environ: dict[str, str] = {}
    assert use_default_profile(environ) == shipped
    assert environ == {FASTDDS_VARIABLE: str(shipped)}
    for name in (FASTDDS_VARIABLE, LEGACY_VARIABLE):  # the user's Fast DDS file wins
        mine = {name: "/etc/mine.xml"}
        assert use_default_profile(mine) is None and mine == {name: "/etc/mine.xml"}
    off = {CHOICE_VARIABLE: "off"}
    assert use_default_profile(off) is None and off == {CHOICE_VARIABLE: "off"}
    other = tmp_path / "other.xml"
    other.write_text("<dds/>")
    chosen = {CHOICE_VARIABLE: str(other), FASTDDS_VARIABLE: "/etc/mine.xml"}
    assert use_default_profile(chosen) == other and chosen[FASTDDS_VARIABLE] == str(other)
    with pytest.raises(ConfigurationError, match=f"^{CHOICE_VARIABLE}=/nope.xml: no such file$"):
        use_default_profile({CHOICE_VARIABLE: "/nope.xml"})


def test_the_profile_gives_shared_memory_room_for_full_hd_frames():
    root = ET.parse(shipped_profile()).getroot()
    ns = {"dds": "http://www.eprosima.com"}
    transports = {d.findtext("dds:type", namespaces=ns): d
                  for d in root.iterfind(".//dds:transport_descriptor", ns)}
    assert set(transports) == {"SHM", "UDPv4"}
    frame = 1920 * 1080 * 3
    assert int(transports["SHM"].findtext("dds:segment_size", namespaces=ns)) >= 4 * frame
    for size in ("sendBufferSize", "receiveBufferSize"):
        assert int(transports["UDPv4"].findtext(f"dds:{size}", namespaces=ns)) >= frame
    (participant,) = root.iterfind(".//dds:participant", ns)
    assert participant.get("is_default_profile") == "true"
    rtps = participant.find("dds:rtps", ns)
    assert rtps.findtext("dds:useBuiltinTransports", namespaces=ns) == "false"
    used = {t.text for t in rtps.iterfind("dds:userTransports/dds:transport_id", ns)}
    assert used == {d.findtext("dds:transport_id", namespaces=ns) for d in transports.values()}


@pytest.mark.parametrize("script", ["spic_bag_play", "spic_encoder"])
def test_a_missing_chosen_profile_is_a_one_line_configuration_error(script, tmp_path):
    done = subprocess.run([str(Path(sys.executable).parent / script), str(tmp_path / "bag")],
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                               CHOICE_VARIABLE: "/nope.xml"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"{'configuration error' if script == 'spic_encoder' else script + ': error'}: "
        f"{CHOICE_VARIABLE}=/nope.xml: no such file"]


@pytest.mark.ros
@pytest.mark.timeout(300)
def test_1280x720_rgb8_at_10_fps_arrives_over_sensor_data_qos(tmp_path):
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    from spic_ros.testing import isolated_ros_env, relay_bag, write_frame_bag

    isolated_ros_env(tmp_path / "log")
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8) for _ in range(3)]
    fps, seconds = 10.0, 4.0
    stamps = write_frame_bag(tmp_path / "bag", "/big/image", frames, int(fps * seconds), fps)
    received = set(relay_bag(tmp_path / "bag", "/big/image", tmp_path))
    arrived = len(received & set(stamps))
    assert arrived >= math.ceil(0.99 * len(stamps)), f"{arrived}/{len(stamps)} frames arrived"

"""Bad configurations of both node executables: each ends with status 1 and one clear line on
stderr, never a traceback: unknown (misspelled) names, wrong types, out-of-range values,
missing or garbage files, broken parameter files, unknown parts and part options."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("rclpy")
pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the SemanticFrame message")

pytestmark = [pytest.mark.ros, pytest.mark.timeout(300)]
WEIGHTS = Path(__file__).resolve().parents[1] / "src" / "spic" / "weights" / "scsrdm_fast"

# (executable, ROS arguments, text the one line must contain); {files} is a folder of fixtures
CASES = {
    "encoder misspelled name": ("spic_encoder", ["-p", "segmentr:=onnx"],
                                "did you mean 'segmenter'"),
    "encoder wrong type": ("spic_encoder", ["-p", "coarse_quality:=high"], "expected an integer"),
    "encoder out of range": ("spic_encoder", ["-p", "coarse_quality:=500"], "out of range"),
    "encoder zero downscale": ("spic_encoder", ["-p", "downscale:=0"], "out of range"),
    "encoder missing model": ("spic_encoder", ["-p", "segmenter_model:=/no/such/model.onnx"],
                              "no such file"),
    "encoder garbage model": ("spic_encoder", ["-p", "segmenter:=onnx", "-p",
                                               "segmenter_model:={files}/garbage.onnx"],
                              "cannot build the encoder"),
    "encoder unknown codec": ("spic_encoder", ["-p", "coarse_codec:=h266"], "unknown codec"),
    "encoder lossy ssm codec": ("spic_encoder", ["-p", "ssm_codec:=webp"], "not lossless"),
    "encoder bad topic": ("spic_encoder", ["-p", "image_topic:=bad//topic"], "invalid topic"),
    "encoder bad qos": ("spic_encoder", ["-p", "input_qos:=fast"], "is not one of"),
    "encoder malformed options": ("spic_encoder", ["-p", "segmenter_options:=threads"],
                                  "KEY=VALUE"),
    "encoder unknown option": ("spic_encoder", ["-p", "segmenter_options:=colour=blue"],
                               "colour"),
    "encoder options as a list": ("spic_encoder", ["-p", "segmenter_options:=[threads=1]"],
                                  "expected a string"),
    "encoder unknown name in yaml": ("spic_encoder", ["--params-file", "{files}/typo.yaml"],
                                     "did you mean 'coarse_quality'"),
    "broken params file": ("spic_encoder", ["--params-file", "{files}/broken.yaml"],
                           "cannot parse the ROS arguments"),
    "missing params file": ("spic_decoder", ["--params-file", "/no/such/params.yaml"],
                            "cannot parse the ROS arguments"),
    "decoder misspelled reconstructor": ("spic_decoder", ["-p", "reconstuctor:=bicubic"],
                                         "did you mean 'reconstructor'"),
    "decoder unknown reconstructor": ("spic_decoder", ["-p", "reconstructor:=nope"],
                                      "unknown reconstructor"),
    "decoder unknown fallback": ("spic_decoder", ["-p", "fallback_reconstructor:=nope"],
                                 "unknown reconstructor"),
    "decoder negative threads": ("spic_decoder", ["-p", "reconstructor_options:=threads=-1"],
                                 "threads"),
    "decoder unknown option": ("spic_decoder", ["-p", "reconstructor_options:=foo=1"], "foo"),
    "decoder stream named twice": ("spic_decoder", ["-p", "streams:=front,/front"],
                                   "named twice"),
    "decoder absolute stream topic": ("spic_decoder", ["-p", "streams:=front", "-p",
                                                       "stream_input_topic:=/abs/spic"],
                                      "not a relative topic"),
    "decoder missing weights": ("spic_decoder", ["-p", "reconstructor_options:=weights=/no/such"],
                                "cannot create reconstructor"),
    "decoder garbage weights": ("spic_decoder", ["-p", "reconstructor_options:=weights={files}/w"],
                                "cannot create reconstructor"),
    "decoder zero max_pixels": ("spic_decoder", ["-p", "max_pixels:=0"], "out of range"),
    "decoder int for a float": ("spic_decoder", ["-p", "diagnostics_period:=1"],
                                "expected a floating-point number"),
    "decoder word for a bool": ("spic_decoder", ["-p", "publish_ssm:=maybe"],
                                "expected a boolean"),
    "decoder threshold out of range": ("spic_decoder", ["-p", "diagnostics_warn_drop_rate:=2.0"],
                                       "out of range"),
    "decoder encoder parameter": ("spic_decoder", ["-p", "coarse_quality:=20"],
                                  "unknown parameter 'coarse_quality'"),
}


def _fixture_files(folder: Path) -> None:
    (folder / "garbage.onnx").write_bytes(b"\x08\x01 not a model" * 50)
    (folder / "typo.yaml").write_text("spic_encoder:\n  ros__parameters:\n    coarse_qualty: 20\n")
    (folder / "broken.yaml").write_text("spic_encoder:\n  ros__parameters: [unclosed\n")
    weights = folder / "w"
    weights.mkdir()
    shutil.copy(WEIGHTS / "config.json", weights / "config.json")
    (weights / "model.safetensors").write_bytes(b"garbage" * 100)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every case run once, three processes at a time (each node start is 1-3 s)."""
    from spic_ros.testing import isolated_ros_env

    files = tmp_path_factory.mktemp("bad_config")
    _fixture_files(files)
    env = {**os.environ, **isolated_ros_env(files / "log")}

    def run(case: tuple) -> subprocess.CompletedProcess:
        exe, args, _ = case
        args = [a.replace("{files}", str(files)) for a in args]
        return subprocess.run([str(Path(sys.executable).parent / exe), "--ros-args", *args],
                              capture_output=True, text=True, timeout=120, env=env)

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(CASES, pool.map(run, CASES.values())))


@pytest.mark.parametrize("case", CASES)
def test_bad_configuration_is_one_clear_line(case, results):
    result, expected = results[case], CASES[case][2]
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("configuration error: "), result.stderr
    assert expected in lines[0], lines[0]

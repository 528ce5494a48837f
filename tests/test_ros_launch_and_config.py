"""Launch files, config files and executables agree (checked statically: `launch` is not
installable here), and nodes refuse bad configurations at start-up with a clear message."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAUNCH_FILES = sorted((REPO / "launch").glob("*.launch.py"))


def _console_scripts() -> set[str]:
    return set(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"])


def _cmake_executables() -> set[str]:
    return set(re.findall(r'"(\w+)=[\w.]+:\w+"', (REPO / "CMakeLists.txt").read_text()))


def _node_params() -> dict[str, set[str]]:
    """Parameter names per executable, read from the node modules' PARAMS lists."""
    out = {}
    for exe, module in (("spic_encoder", "encoder_node"), ("spic_decoder", "decoder_node")):
        tree = ast.parse((REPO / "src" / "spic_ros" / f"{module}.py").read_text())
        out[exe] = {call.args[0].value for call in ast.walk(tree)
                    if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "Param"}
    return out


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and (getattr(n.func, "id", None) == name or getattr(n.func, "attr", None) == name)]


def _keyword(call: ast.Call, key: str):
    return next((k.value for k in call.keywords if k.arg == key), None)


def test_there_are_vehicle_remote_and_replay_launch_files():
    assert {p.name for p in LAUNCH_FILES} >= {"vehicle.launch.py", "remote.launch.py",
                                              "replay.launch.py"}


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_names_only_things_that_exist(path):
    tree = ast.parse(path.read_text())
    params = _node_params()
    # every executable is a console script (pip) and installed by CMake (colcon)
    nodes = _calls(tree, "Node")
    assert nodes
    for node in nodes:
        exe = _keyword(node, "executable").value
        assert exe in _console_scripts() and exe in _cmake_executables(), exe
        assert _keyword(node, "package").value == "spic_ros"
        # every parameter set inline is declared by that node
        parameters = _keyword(node, "parameters")
        for item in getattr(parameters, "elts", []):
            if isinstance(item, ast.Dict):
                for key in item.keys:
                    assert key.value in params[exe], (exe, key.value)
    # every config file named exists in config/ (and CMake installs config/)
    for const in ast.walk(tree):
        if isinstance(const, ast.Constant) and str(const.value).endswith(".yaml"):
            assert (REPO / "config" / const.value).is_file(), const.value
    # every LaunchConfiguration refers to an argument of the file's `args` table
    table = next(n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                 and getattr(n.targets[0], "id", "") == "args")
    declared = {k.value for k in table.keys}
    used = {c.args[0].value for c in _calls(tree, "LaunchConfiguration")
            if c.args and isinstance(c.args[0], ast.Constant)}
    assert used <= declared, used - declared
    # single-node files turn every argument but `config` into a parameter of that node
    if len(nodes) == 1:
        exe = _keyword(nodes[0], "executable").value
        assert declared - {"config"} <= params[exe], declared - {"config"} - params[exe]


@pytest.mark.parametrize("name,node", [("encoder.yaml", "spic_encoder"),
                                       ("decoder.yaml", "spic_decoder")])
def test_config_files_set_only_declared_parameters(name, node):
    text = (REPO / "config" / name).read_text()
    keys = re.findall(r"^\s{4}(\w+):", text, re.M)
    assert keys and set(keys) <= _node_params()[node], set(keys) - _node_params()[node]
    assert text.startswith("#") and f"\n{node}:\n  ros__parameters:\n" in text


@pytest.mark.ros
@pytest.mark.timeout(60)
@pytest.mark.parametrize("argument,message", [
    ("ssm_codec:=webp", "not lossless"),
    ("coarse_codec:=h266", "unknown codec"),
    ("segmenter_model:=/no/such/model.onnx", "no such file"),
    ("coarse_quality:=500", "out of range"),
    ("image_topic:=bad//topic", "invalid topic"),
])
def test_encoder_refuses_bad_configuration(argument, message, tmp_path):
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    from spic_ros.testing import isolated_ros_env
    import os
    env = {**os.environ, **isolated_ros_env(tmp_path)}
    exe = Path(sys.executable).parent / "spic_encoder"
    result = subprocess.run([str(exe), "--ros-args", "-p", argument], capture_output=True,
                            text=True, timeout=50, env=env)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_installed_executables_run_without_an_activated_venv():
    """``lib/spic_ros/*`` (what launch_ros starts) name the interpreter that has the packages."""
    lib = Path(sys.prefix) / "lib" / "spic_ros"
    if not lib.is_dir():
        pytest.skip("the colcon-built executables are not installed in this environment")
    executables = sorted(p for p in lib.iterdir() if p.is_file())
    assert {p.name for p in executables} == _cmake_executables()
    for exe in executables:
        shebang = exe.read_text().splitlines()[0]
        interpreter = shebang[2:].strip()
        assert shebang.startswith("#!/") and Path(interpreter).name != "env", (exe, shebang)
        module = re.search(r"^from ([\w.]+) import", exe.read_text(), re.M).group(1)
        # a bare environment: no PATH to the venv, no VIRTUAL_ENV, no PYTHONPATH
        done = subprocess.run([interpreter, "-c", f"import {module}"], env={"HOME": "/tmp"},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (exe, done.stderr[-500:])

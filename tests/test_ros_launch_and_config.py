"""Launch files, config files, node parameters and the core defaults agree.

``launch``/``launch_ros`` are not installable here (independent checks run the files under a
real ROS 2 install), so the launch files run against a recording stand-in of the few launch
classes they use: what they declare, which nodes they start with which parameters, and what
happens when a process exits.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import types
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAUNCH_FILES = sorted((REPO / "launch").glob("*.launch.py"))


class _Recorded:
    """A stand-in launch class: keeps its arguments."""

    def __init__(self, *args, **kwargs) -> None:
        self.args, self.kwargs = args, kwargs


class _LaunchConfiguration(_Recorded):
    def perform(self, context) -> str:
        return context.launch_configurations[self.args[0]]


class _Context:
    def __init__(self, configurations: dict[str, str]) -> None:
        self.launch_configurations = configurations


@pytest.fixture
def launch_stack(monkeypatch):
    """Stand-ins for launch, launch_ros and ament_index_python (share dir: this checkout)."""
    modules = {
        "launch": {"LaunchDescription": type("LaunchDescription", (_Recorded,), {})},
        "launch.actions": {name: type(name, (_Recorded,), {}) for name in
                           ("DeclareLaunchArgument", "OpaqueFunction", "SetEnvironmentVariable",
                            "Shutdown")},
        "launch.launch_context": {"LaunchContext": _Context},
        "launch.substitutions": {"LaunchConfiguration": _LaunchConfiguration},
        "launch_ros": {}, "launch_ros.actions": {"Node": type("Node", (_Recorded,), {})},
        "ament_index_python": {},
        "ament_index_python.packages": {"get_package_share_directory": lambda pkg: str(REPO)},
    }
    for name, attributes in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.delitem(sys.modules, "spic_nodes", raising=False)
    monkeypatch.syspath_prepend(str(REPO / "launch"))


def _description(name: str):
    """Load a launch file the way launch does and return (declared arguments, actions)."""
    loader = SourceFileLoader("python_launch_file", str(REPO / "launch" / name))
    module = module_from_spec(spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    entities = module.generate_launch_description().args[0]
    declared = {e.args[0]: e.kwargs for e in entities if type(e).__name__ == "DeclareLaunchArgument"}
    return declared, [e for e in entities if type(e).__name__ == "OpaqueFunction"]


def _defaults(declared: dict) -> dict[str, str]:
    return {name: kw.get("default_value") for name, kw in declared.items()}


def _run_all(opaque, configurations: dict[str, str]) -> list[dict]:
    """What an OpaqueFunction starts under these launch configurations (keyword arguments)."""
    return [action.kwargs for action in opaque.kwargs["function"](_Context(configurations))]


def _run(opaque, configurations: dict[str, str]):
    """The Node an OpaqueFunction starts under these launch configurations."""
    (node,) = _run_all(opaque, configurations)
    return node


def _node_params(module: str):
    from importlib import import_module

    return import_module(f"spic_ros.{module}").PARAMS


def test_there_are_vehicle_remote_and_replay_launch_files():
    assert {p.name for p in LAUNCH_FILES} == {"vehicle.launch.py", "remote.launch.py",
                                              "replay.launch.py"}


@pytest.mark.parametrize("file,exe,module", [("vehicle.launch.py", "spic_encoder", "encoder_node"),
                                             ("remote.launch.py", "spic_decoder", "decoder_node")])
def test_every_node_parameter_is_a_launch_argument_with_the_node_default(launch_stack, file, exe,
                                                                         module):
    from spic_nodes import argument_text

    declared, (_, node) = _description(file)
    params = _node_params(module)
    assert set(declared) == {"config", "cameras", "dds_profile"} | {p.name for p in params}
    assert all(declared[p.name]["description"].startswith(p.description) for p in params)
    assert {p.name: argument_text(p.default) for p in params} == {
        k: v for k, v in _defaults(declared).items() if k not in ("config", "cameras",
                                                                 "dds_profile")}
    # at its defaults, the launch passes the parameters file only; a given argument overrides it
    defaults = _defaults(declared)
    started = _run(node, defaults)
    assert started["package"] == "spic_ros" and started["executable"] == exe
    assert "namespace" not in started  # no cameras: one node, exactly as configured
    assert started["parameters"] == [str(REPO / "config" / f"{exe[5:]}.yaml")]
    first = next(p for p in params if isinstance(p.default, str) and p.name.endswith("_topic"))
    changed = _run(node, {**defaults, first.name: "/cam/front/x", "diagnostics_period": "2.5"})
    assert changed["parameters"][1] == {first.name: "/cam/front/x", "diagnostics_period": 2.5}
    with pytest.raises(ValueError, match="diagnostics_period:='fast'"):
        _run(node, {**defaults, "diagnostics_period": "fast"})


def test_launch_arguments_include_the_ones_users_asked_for(launch_stack):
    vehicle, remote = (_description(f)[0] for f in ("vehicle.launch.py", "remote.launch.py"))
    assert {"output_topic", "labels_topic", "publish_ssm", "segmenter_options"} <= set(vehicle)
    assert {"output_topic", "publish_ssm", "reconstructor_options",
            "fallback_reconstructor"} <= set(remote)


def test_a_process_that_exits_ends_the_launch_and_a_failure_makes_it_fail(launch_stack):
    from spic_nodes import end_launch_on_exit

    declared, (_, node) = _description("vehicle.launch.py")
    on_exit = _run(node, _defaults(declared))["on_exit"]
    assert on_exit is end_launch_on_exit
    event = types.SimpleNamespace(process_name="spic_encoder-1", returncode=0)
    (shutdown,) = on_exit(event, None)
    assert type(shutdown).__name__ == "Shutdown"
    with pytest.raises(RuntimeError, match="spic_encoder-1 exited with status 1"):
        on_exit(types.SimpleNamespace(process_name="spic_encoder-1", returncode=1), None)


def test_replay_plays_only_the_topics_the_encoder_reads(launch_stack):
    declared, (_, encoder, decoder, player) = _description("replay.launch.py")
    assert "default_value" not in declared["bag"]  # required: launch names it when missing
    defaults = {**_defaults(declared), "bag": "/data/bag"}
    # a name both nodes have is prefixed; the decoder reads what the encoder publishes
    assert {"encoder_max_pixels", "decoder_max_pixels", "segmenter_model",
            "reconstructor"} <= set(declared) and "max_pixels" not in declared
    assert "input_topic" not in declared and "decoder_input_topic" not in declared
    assert _run(decoder, defaults)["parameters"][1] == {"input_topic": "/camera/image_raw/spic"}
    moved = {**defaults, "image_topic": "/cam/a", "encoder_output_topic": "/cam/a/coded"}
    assert _run(decoder, moved)["parameters"][1] == {"input_topic": "/cam/a/coded"}
    command = _run(player, defaults)
    assert command["executable"] == "spic_bag_play"
    assert command["arguments"][-2:] == ["--topics", "/camera/image_raw"]  # no labels: segment
    labelled = _run(player, {**defaults, "labels_topic": "/camera/labels"})["arguments"]
    assert labelled[-3:] == ["--topics", "/camera/image_raw", "/camera/labels"]
    assert _run(encoder, {**defaults, "labels_topic": "/camera/labels"})["parameters"][1] == {
        "labels_topic": "/camera/labels"}
    assert all(_run(a, defaults)["on_exit"].__name__ == "end_launch_on_exit"
               for a in (encoder, decoder, player))


def _resolved(node: dict, topic: str) -> str:
    """Where a node's topic parameter resolves (relative names under its namespace)."""
    return topic if topic.startswith("/") else f"{node.get('namespace', '')}/{topic}"


def _parameters(node: dict) -> dict:
    """The node's parameter values: its generated config file's defaults, then the dicts."""
    import yaml

    (section,) = yaml.safe_load(Path(node["parameters"][0]).read_text()).values()
    values = dict(section["ros__parameters"])
    for extra in node["parameters"][1:]:
        values.update(extra)
    return values


def test_a_camera_list_starts_one_encoder_and_one_matching_decoder_per_camera(launch_stack):
    cameras = "front, left,right,rear"
    vehicle, (_, encoder) = _description("vehicle.launch.py")
    remote, (_, decoder) = _description("remote.launch.py")
    encoders = _run_all(encoder, {**_defaults(vehicle), "cameras": cameras})
    decoders = _run_all(decoder, {**_defaults(remote), "cameras": cameras})
    assert [n["namespace"] for n in encoders] == ["/front", "/left", "/right", "/rear"]
    assert [n["namespace"] for n in decoders] == ["/front", "/left", "/right", "/rear"]
    names = {f"{n['namespace']}/{n['name']}" for n in encoders + decoders}
    assert len(names) == 8  # unique node names, hence unique /diagnostics status names
    topics = []
    for enc, dec in zip(encoders, decoders):
        p, q = _parameters(enc), _parameters(dec)
        camera_in = _resolved(enc, p["image_topic"])
        coded = _resolved(enc, p["output_topic"] or p["image_topic"] + "/spic")
        decoded = _resolved(dec, q["output_topic"])
        assert camera_in == f"{enc['namespace']}/image_raw"
        assert _resolved(dec, q["input_topic"]) == coded == f"{enc['namespace']}/image_raw/spic"
        assert q["ssm_topic"] == "" and decoded == f"{dec['namespace']}/image_decoded"
        topics += [camera_in, coded, decoded]
    assert len(set(topics)) == len(topics)  # no two cameras share a topic
    # a relative topic argument applies under each namespace; an absolute one is refused
    relative = _run_all(encoder, {**_defaults(vehicle), "cameras": "a,b",
                                  "image_topic": "camera/color"})
    assert [_resolved(n, _parameters(n)["image_topic"]) for n in relative] == [
        "/a/camera/color", "/b/camera/color"]
    with pytest.raises(ValueError, match="image_topic:='/cam/x': with cameras:=..., topics are "
                                         "relative"):
        _run_all(encoder, {**_defaults(vehicle), "cameras": "a,b", "image_topic": "/cam/x"})
    with pytest.raises(ValueError, match="output_topic:='/out'"):
        _run_all(decoder, {**_defaults(remote), "cameras": "a", "output_topic": "/out"})


@pytest.mark.parametrize("cameras,error", [("front,front", "named twice"),
                                           ("front,1st", "'1st' is not a valid namespace"),
                                           ("a b", "'a b' is not a valid")])
def test_bad_camera_lists_are_refused_in_one_line(launch_stack, cameras, error):
    vehicle, (_, encoder) = _description("vehicle.launch.py")
    with pytest.raises(ValueError, match=f"cameras:={cameras!r}: .*{error}"):
        _run_all(encoder, {**_defaults(vehicle), "cameras": cameras})


@pytest.mark.parametrize("file", ["vehicle.launch.py", "remote.launch.py", "replay.launch.py"])
def test_the_dds_profile_argument_reaches_every_process(launch_stack, file):
    declared, (choose, *_) = _description(file)
    assert declared["dds_profile"]["default_value"] == ""
    assert _run_all(choose, {"dds_profile": ""}) == []  # the processes' own default applies
    for value in ("off", "/etc/my_profile.xml"):
        (action,) = choose.kwargs["function"](_Context({"dds_profile": value}))
        assert type(action).__name__ == "SetEnvironmentVariable"
        assert action.args == ("SPIC_FASTDDS_PROFILE", value)


@pytest.mark.parametrize("name", ["encoder.yaml", "decoder.yaml"])
def test_config_files_are_generated_from_the_node_parameters(name):
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    from spic_ros.config_files import expected_contents

    assert (REPO / "config" / name).read_text() == expected_contents()[name], \
        "regenerate with: python -m spic_ros.config_files"


def test_one_source_for_every_default():
    """Core dataclasses == node parameter defaults == config files (launch arguments are
    checked against the node defaults above)."""
    pytest.importorskip("spic_ros.msg", reason="run scripts/setup.sh to build the message")
    import yaml

    from spic.pipeline import DecoderConfig, EncoderConfig
    from spic_ros.decoder_node import PARAMS as DECODER, decoder_config
    from spic_ros.encoder_node import PARAMS as ENCODER, encoder_config
    from spic_ros.params import defaults

    assert encoder_config(defaults(ENCODER)) == EncoderConfig()
    assert decoder_config(defaults(DECODER)) == DecoderConfig()
    for node, params in (("spic_encoder", ENCODER), ("spic_decoder", DECODER)):
        text = (REPO / "config" / f"{node[5:]}.yaml").read_text()
        # the section applies to the node in every namespace (one node per camera)
        assert yaml.safe_load(text)[f"/**/{node}"]["ros__parameters"] == defaults(params)


def _cmake_executables() -> set[str]:
    return set(re.findall(r'"(\w+)=[\w.]+:\w+"', (REPO / "CMakeLists.txt").read_text()))


def test_launched_executables_are_console_scripts_and_installed_by_cmake():
    scripts = set(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"])
    launched = set()
    for path in LAUNCH_FILES:
        launched |= set(re.findall(r'"(spic_\w+)"', path.read_text()))
    launched |= set(re.findall(r'spic_process\("(\w+)"', (REPO / "launch/spic_nodes.py")
                               .read_text()))
    assert launched >= {"spic_encoder", "spic_decoder", "spic_bag_play"}
    assert launched <= scripts & _cmake_executables()


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

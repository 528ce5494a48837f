"""What the spic_ros launch files share: one launch argument per node parameter, nodes that
end the launch when they exit, a non-zero launch status when one fails, one node per camera
namespace (``cameras:=front,left``) and the Fast DDS profile choice (``dds_profile``).

The parameters (names, defaults, descriptions) are read from the installed
``config/<node>.yaml``, which is generated from the nodes' declared parameters, so the
arguments cannot drift from the nodes; this file needs only ``launch``, ``launch_ros`` and
PyYAML, not the spic packages. An argument left at its default does not override the
parameters file (``config:=FILE``); one given on the command line does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml
from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction, SetEnvironmentVariable, Shutdown
from launch.launch_context import LaunchContext
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

PACKAGE = "spic_ros"
Scalar = bool | int | float | str
#: A camera namespace: ROS name tokens separated by slashes (``front``, ``rig/left``).
_NAMESPACE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True)
class NodeParameter:
    """One parameter of a node as its config file states it."""

    name: str
    default: Scalar
    description: str


def config_path(file_name: str) -> Path:
    return Path(get_package_share_directory(PACKAGE)) / "config" / file_name


def read_parameters(path: Path) -> tuple[str, list[NodeParameter]]:
    """The node name and parameters of a generated config file (each parameter's
    description is the comment line above it)."""
    text = path.read_text()
    ((node, section),) = yaml.safe_load(text).items()
    comments, comment = {}, ""
    for line in text.splitlines():
        if match := re.match(r"^    # (.*)$", line):
            comment = match[1]
        elif match := re.match(r"^    (\w+):", line):
            comments[match[1]], comment = comment, ""
    return node, [NodeParameter(name, value, comments.get(name, ""))
                  for name, value in section["ros__parameters"].items()]


def argument_text(value: Scalar) -> str:
    """A default as a launch argument string (booleans as YAML writes them)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def typed_value(argument: str, text: str, default: Scalar) -> Scalar:
    """The launch argument ``text`` as a value of the parameter's type; raises ValueError."""
    try:
        if isinstance(default, bool):
            word = text.strip().lower()
            if word not in ("true", "false"):
                raise ValueError("expected true or false")
            return word == "true"
        return type(default)(text)
    except ValueError as exc:
        raise ValueError(f"launch argument {argument}:={text!r}: {exc}") from None


def argument_names(params: list[NodeParameter], prefix: str = "",
                   prefixed: set[str] | None = None) -> dict[str, str]:
    """Parameter -> launch argument name: ``<prefix><name>`` for the names in ``prefixed``
    (all when None), the parameter's own name for the others."""
    return {p.name: prefix + p.name if prefixed is None or p.name in prefixed else p.name
            for p in params}


def declare_arguments(params: list[NodeParameter],
                      names: dict[str, str]) -> list[DeclareLaunchArgument]:
    """One argument per parameter in ``names``, default and description from the config."""
    return [DeclareLaunchArgument(names[p.name], default_value=argument_text(p.default),
                                  description=p.description)
            for p in params if p.name in names]


def changed_parameters(context: LaunchContext, params: list[NodeParameter],
                       names: dict[str, str]) -> dict[str, Scalar]:
    """The parameters whose launch arguments differ from their defaults."""
    out = {}
    for p in params:
        if p.name in names:
            text = LaunchConfiguration(names[p.name]).perform(context)
            value = typed_value(names[p.name], text, p.default)
            if value != p.default:
                out[p.name] = value
    return out


def end_launch_on_exit(event, context: LaunchContext):
    """``on_exit`` of every process: its end ends the launch; a non-zero status (a
    configuration error, a crash, a player that failed) makes the launch exit non-zero,
    since launch returns 1 when an event handler raises."""
    if event.returncode != 0:
        raise RuntimeError(f"{event.process_name} exited with status {event.returncode}")
    return [Shutdown(reason=f"{event.process_name} finished")]


def spic_process(executable: str, **kwargs) -> Node:
    """A spic_ros executable that ends the launch when it exits (see end_launch_on_exit)."""
    return Node(package=PACKAGE, executable=executable, name=executable, output="screen",
                on_exit=end_launch_on_exit, **kwargs)


def camera_namespaces(text: str) -> list[str]:
    """``"front, left,rig/rear"`` -> ``["front", "left", "rig/rear"]``; raises ValueError on
    an invalid or repeated name."""
    cameras = [name.strip().strip("/") for name in text.split(",") if name.strip()]
    for name in cameras:
        if not _NAMESPACE.fullmatch(name):
            raise ValueError(f"launch argument cameras:={text!r}: {name!r} is not a valid "
                             f"namespace (letters, digits, _ and /)")
    if len(set(cameras)) != len(cameras):
        raise ValueError(f"launch argument cameras:={text!r}: a camera is named twice")
    return cameras


def camera_parameters(camera_topics: dict[str, str],
                      overrides: dict[str, Scalar]) -> dict[str, Scalar]:
    """The topic parameters of one camera's node: ``camera_topics`` (relative defaults) with
    the topic arguments given; raises ValueError on an absolute one, which every camera's
    node would share."""
    topics = {**camera_topics, **{k: v for k, v in overrides.items() if k in camera_topics}}
    for name, topic in topics.items():
        if str(topic).startswith("/"):
            raise ValueError(f"launch argument {name}:={topic!r}: with cameras:=..., topics are "
                             f"relative to each camera's namespace (e.g. {camera_topics[name]!r})")
    return topics


def spic_node(executable: str, config_argument: str, params: list[NodeParameter],
              names: dict[str, str],
              derived: Callable[[LaunchContext], dict] | None = None,
              camera_topics: dict[str, str] | None = None) -> OpaqueFunction:
    """The node ``executable`` with the parameters file named by ``config_argument``, then
    the changed arguments, then ``derived(context)`` (parameters that follow others).

    With ``camera_topics`` (every topic parameter -> its default relative to a camera's
    namespace) and a non-empty ``cameras`` argument: one such node per camera, in namespace
    ``/<camera>``, its topic parameters from :func:`camera_parameters`."""
    def launch(context: LaunchContext) -> list[Node]:
        overrides = changed_parameters(context, params, names)
        overrides.update(derived(context) if derived else {})
        files = [LaunchConfiguration(config_argument).perform(context)]
        cameras = (camera_namespaces(LaunchConfiguration("cameras").perform(context))
                   if camera_topics is not None else [])
        if not cameras:
            return [spic_process(executable,
                                 parameters=files + ([overrides] if overrides else []))]
        per_camera = {**overrides, **camera_parameters(camera_topics, overrides)}
        return [spic_process(executable, namespace=f"/{camera}", parameters=files + [per_camera])
                for camera in cameras]
    return OpaqueFunction(function=launch)


def dds_profile_actions() -> list:
    """The ``dds_profile`` argument: a Fast DDS profile for every process of the launch
    (``SPIC_FASTDDS_PROFILE``, see spic_ros.dds_profile), ``off`` for Fast DDS defaults;
    empty (the default) leaves the choice to the processes (the user's
    FASTDDS_DEFAULT_PROFILES_FILE, else the shipped large-frames profile)."""
    def choose(context: LaunchContext) -> list:
        profile = LaunchConfiguration("dds_profile").perform(context).strip()
        return [SetEnvironmentVariable("SPIC_FASTDDS_PROFILE", profile)] if profile else []
    return [DeclareLaunchArgument("dds_profile", default_value="", description=(
                "Fast DDS profile file for the nodes, or off (Fast DDS defaults); empty: "
                "FASTDDS_DEFAULT_PROFILES_FILE if set, else config/fastdds_large_frames.xml")),
            OpaqueFunction(function=choose)]


def single_node_launch(executable: str, config_name: str,
                       camera_topics: dict[str, str]) -> LaunchDescription:
    """``config`` (the parameters file), ``cameras``, ``dds_profile``, one argument per
    parameter, and the node (one per camera: see :func:`spic_node`)."""
    config = config_path(config_name)
    _, params = read_parameters(config)
    names = argument_names(params)
    return LaunchDescription([
        DeclareLaunchArgument("config", default_value=str(config),
                              description=f"{executable} parameters file"),
        DeclareLaunchArgument("cameras", default_value="", description=(
            f"camera namespaces, e.g. front,left,right,rear: one {executable} per camera in "
            f"/<camera>, its topics relative to it (defaults: "
            f"{', '.join(f'{k} {v!r}' for k, v in camera_topics.items())}); empty: one node")),
        *dds_profile_actions(),
        *declare_arguments(params, names),
        spic_node(executable, "config", params, names, camera_topics=camera_topics),
    ])

"""The Fast DDS profile the spic_ros console scripts run with: large frames over shared memory.

Fast DDS reads its XML profiles from ``FASTDDS_DEFAULT_PROFILES_FILE`` when a process
creates its first participant, so :func:`use_default_profile` runs before ``rclpy.init``.
Which profile, in this order:

1. ``SPIC_FASTDDS_PROFILE=off``: none of ours (Fast DDS defaults, or the user's variables);
2. ``SPIC_FASTDDS_PROFILE=FILE``: that file;
3. ``FASTDDS_DEFAULT_PROFILES_FILE`` or the legacy ``FASTRTPS_DEFAULT_PROFILES_FILE`` already
   set: the user's file, untouched;
4. otherwise ``config/fastdds_large_frames.xml`` (shared memory and socket buffers sized for
   1920x1080 rgb8 at 10 fps over best-effort QoS; docs/dds.md).

``python -m spic_ros.dds_profile`` prints the shipped profile's path, for processes that are
not ours (a camera driver: ``export FASTDDS_DEFAULT_PROFILES_FILE=$(python -m
spic_ros.dds_profile)``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import MutableMapping

from spic_ros.config_files import config_file
from spic_ros.params import ConfigurationError

PROFILE_FILE = "fastdds_large_frames.xml"
#: The variable Fast DDS 3 reads (what this module sets).
FASTDDS_VARIABLE = "FASTDDS_DEFAULT_PROFILES_FILE"
#: Its legacy name, still honoured (with a deprecation warning) when a user sets it.
LEGACY_VARIABLE = "FASTRTPS_DEFAULT_PROFILES_FILE"
#: ``off``, a profile file, or unset/empty (the default above).
CHOICE_VARIABLE = "SPIC_FASTDDS_PROFILE"


def shipped_profile() -> Path:
    """The large-frames profile of this checkout or install; raises FileNotFoundError."""
    return config_file(PROFILE_FILE)


def use_default_profile(environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """Point Fast DDS at the profile chosen as the module docstring says (call before
    ``rclpy.init``); returns it, or None when the choice is left to Fast DDS or the user.

    Raises :class:`ConfigurationError` when ``SPIC_FASTDDS_PROFILE`` names no file. Without
    the shipped file (an install lacking config/) a warning is printed and nothing is set.
    """
    choice = environ.get(CHOICE_VARIABLE, "").strip()
    if choice.lower() == "off":
        return None
    if choice:
        profile = Path(choice).expanduser()
        if not profile.is_file():
            raise ConfigurationError(f"{CHOICE_VARIABLE}={choice}: no such file")
    elif environ.get(FASTDDS_VARIABLE) or environ.get(LEGACY_VARIABLE):
        return None
    else:
        try:
            profile = shipped_profile()
        except FileNotFoundError as exc:
            sys.stderr.write(f"warning: Fast DDS defaults (large frames may be lost): {exc}\n")
            return None
    environ[FASTDDS_VARIABLE] = str(profile.resolve())
    return profile


if __name__ == "__main__":
    print(shipped_profile())

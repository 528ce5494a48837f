"""Build script for the native parts (project metadata lives in pyproject.toml).

``pip install -e .`` compiles the FLIF core (portable C99, no external libraries) into
``spic.codecs.flif._flif``, and the SLC label codec into ``spic.codecs.slc._slc`` (it
shares FLIF's range coder, byte buffer and CRC-32).
"""

from pathlib import Path

from setuptools import Extension, setup

FLIF_SRC = Path("src/spic/codecs/flif/csrc")
SLC_SRC = Path("src/spic/codecs/slc/csrc")

setup(
    ext_modules=[
        Extension(
            "spic.codecs.flif._flif",
            sources=sorted(str(p) for p in FLIF_SRC.glob("*.c")),
            depends=sorted(str(p) for p in FLIF_SRC.glob("*.h")),
            include_dirs=[str(FLIF_SRC)],
            extra_compile_args=["-O3", "-std=c99"],
        ),
        Extension(
            "spic.codecs.slc._slc",
            sources=sorted(str(p) for p in SLC_SRC.glob("*.c")) + [str(FLIF_SRC / "crc32.c")],
            depends=sorted(str(p) for p in SLC_SRC.glob("*.h"))
            + [str(FLIF_SRC / name) for name in ("rac.h", "bytebuf.h", "flif.h")],
            include_dirs=[str(SLC_SRC), str(FLIF_SRC)],
            extra_compile_args=["-O3", "-std=c99"],
        ),
    ]
)

"""Build script for the native parts (project metadata lives in pyproject.toml).

``pip install -e .`` compiles the FLIF core (portable C99, no external libraries) into
``spic.codecs.flif._flif``.
"""

from pathlib import Path

from setuptools import Extension, setup

FLIF_SRC = Path("src/spic/codecs/flif/csrc")

setup(
    ext_modules=[
        Extension(
            "spic.codecs.flif._flif",
            sources=sorted(str(p) for p in FLIF_SRC.glob("*.c")),
            depends=sorted(str(p) for p in FLIF_SRC.glob("*.h")),
            include_dirs=[str(FLIF_SRC)],
            extra_compile_args=["-O3", "-std=c99"],
        )
    ]
)

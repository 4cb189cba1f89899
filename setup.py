"""Build of the native kernels; the project metadata lives in pyproject.toml.

``kernels/`` is installed as the package ``dsp._kernels``: every ``kernels/cpu/*.pyx`` becomes an
extension module ``dsp._kernels.<name>`` (C++, OpenMP), and ``kernels/cuda/*.cu`` with
``kernels/common/*.h`` ship as package data for run-time compilation by NVRTC.

Cython directives are set here for every kernel, never in a per-file header. ``DSP_DEBUG_BUILD=1``
builds with bounds checks, wrap-around indexing and checked division, for hunting a kernel bug.
"""
import os
import sys
from glob import glob
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent
DEBUG = os.environ.get("DSP_DEBUG_BUILD", "0") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "cdivision": not DEBUG,
    "initializedcheck": DEBUG,
    "embedsignature": True,
}

if sys.platform == "win32":
    cflags, lflags = ["/O2", "/openmp", "/std:c++17"], []
elif sys.platform == "darwin":  # Apple clang has no -fopenmp; kernels then run single-threaded.
    cflags, lflags = ["-O3", "-std=c++17", "-fno-math-errno", "-ffp-contract=off"], []
else:
    # No FMA contraction: the float cores then round exactly as the GPU build (--fmad=false) does.
    cflags = ["-O3", "-std=c++17", "-fopenmp", "-fno-math-errno", "-ffp-contract=off"]
    lflags = ["-fopenmp"]
if DEBUG:
    cflags = [f for f in cflags if not f.startswith(("-O", "/O"))] + ["-O0", "-g"]

extensions = [
    Extension(
        f"dsp._kernels.{Path(pyx).stem}",
        [pyx],
        include_dirs=["kernels/common"],
        language="c++",
        extra_compile_args=cflags,
        extra_link_args=lflags,
    )
    for pyx in sorted(glob("kernels/cpu/*.pyx"))
]

setup(
    ext_modules=cythonize(extensions, compiler_directives=directives),
)

"""Native kernels, installed as ``dsp._kernels``.

- ``common/*.h``: per-item algorithm cores shared by the CPU and GPU kernels.
- ``cpu/*.pyx``: Cython loops over items (OpenMP), built into ``dsp._kernels.<name>``.
- ``cuda/*.cu``: CUDA kernels over the same cores, compiled at run time by ``dsp._ops.gpu``.

Only ``dsp._ops.cpu`` and ``dsp._ops.gpu`` import from here.
"""

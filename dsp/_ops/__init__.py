"""The only code that calls compiled kernels: ``cpu`` (Cython) and ``gpu`` (CUDA via CuPy).

Both modules expose the same functions with the same signatures; arguments arrive validated
from the public functions that call them, and kernel results come back as Python ints.
"""

"""Which route this machine has for CUDA kernels written in Python (the kernel lessons and projects).

- ``"cuda"``: numba-cuda is installed, a GPU is visible to CUDA, and NVIDIA's
  compiler that numba-cuda compiles with (NVVM and NVRTC) was found: kernels compile for
  the GPU, and ``dlpath check --device cuda`` also times them;
- ``"simulator"``: numba-cuda is installed: kernels run on its simulator
  (``NUMBA_ENABLE_CUDASIM=1``) and dlpath grades them on its own, on any CPU;
- ``"none"``: numba-cuda is not installed yet; ``install`` says what adds it.

Read from package metadata, the environment and the NVML reading the report
already made: nothing is imported, no GPU is touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

__all__ = ["KernelRoute", "kernel_route", "TESTED_RANGE", "COMPILER_PACKAGES"]

TESTED_RANGE = ((0, 30), (0, 31))  # numba-cuda versions dlpath is tested with: >= 0.30, < 0.31 (the extra's pin)
#: distributions that bring what numba-cuda compiles with for a GPU, NVVM and NVRTC (numba-cuda[cu12] or [cu13]
#: install them: CUDA 12's NVVM comes in its nvcc wheel, CUDA 13's in a wheel of its own)
COMPILER_PACKAGES = (("nvidia-cuda-nvcc-cu12", "nvidia-nvvm"), ("nvidia-cuda-nvrtc-cu12", "nvidia-cuda-nvrtc"))


@dataclass
class KernelRoute:
    """How kernels run here (the `kernels` object of `dlpath gpu --json`)."""

    route: str  #: "cuda", "simulator" or "none"
    numba_cuda: str | None  #: the installed version of numba-cuda
    tested: bool | None  #: that version is in the range dlpath is tested with (None: not installed)
    compiler: str | None  #: what provides NVVM: a distribution name, or a CUDA toolkit folder
    message: str  #: what the route means, in a sentence or two
    install: str | None  #: the command that adds what is missing, or None


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _compiler(versions: Callable[[str], str | None], environ: Mapping[str, str], toolkit: str) -> str | None:
    """What provides NVVM and NVRTC: two distributions, or a CUDA toolkit folder holding both libraries."""
    found = [next((name for name in names if versions(name)), None) for names in COMPILER_PACKAGES]
    if all(found):
        return " + ".join(name for name in found if name)
    for root in (environ.get("CUDA_HOME"), environ.get("CUDA_PATH"), toolkit):
        folder = Path(root) if root else None
        if folder and any(folder.glob("nvvm/lib*/libnvvm.so*")) and any(folder.glob("lib*/libnvrtc.so*")):
            return str(folder)
    return None


def kernel_route(cuda_gpu: bool, cuda_driver_version: str | None, *,
                 versions: Callable[[str], str | None] | None = None,
                 environ: Mapping[str, str] | None = None, toolkit: str = "/usr/local/cuda") -> KernelRoute:
    """The route for a machine with (``cuda_gpu``) or without a GPU visible to CUDA; ``versions`` gives the
    installed version of a distribution (None: not installed), ``environ`` the environment and ``toolkit`` the
    usual CUDA toolkit folder (both for tests)."""
    if versions is None:
        from dlpath.hardware.nvml import installed_version

        versions = installed_version
    env = os.environ if environ is None else environ
    major = _version_tuple(cuda_driver_version)[0] if cuda_driver_version else 12
    gpu_extra = "kernels-cu13" if major >= 13 else "kernels-cu12"
    numba_cuda = versions("numba-cuda")
    if numba_cuda is None:
        extra = gpu_extra if cuda_gpu else "kernels"
        where = ("and compiles them for this GPU" if cuda_gpu
                 else "and runs them on its simulator: no GPU needed")
        return KernelRoute("none", None, None, None,
                           f"numba-cuda is not installed: the CUDA kernel lessons and projects need it. It writes "
                           f"CUDA kernels in Python {where}.", f"pip install 'dlpath[{extra}]'")
    low, high = TESTED_RANGE
    tested = low <= _version_tuple(numba_cuda) < high
    note = "" if tested else (f" dlpath is tested with numba-cuda {low[0]}.{low[1]}.x; "
                              "`pip install 'dlpath[kernels]'` installs that.")
    if not cuda_gpu:
        return KernelRoute("simulator", numba_cuda, tested, None,
                           "Kernels run on numba-cuda's simulator (NUMBA_ENABLE_CUDASIM=1), and `dlpath check` grades "
                           "them on dlpath's own simulator: outputs, out-of-bounds accesses, races and memory "
                           "traffic, on the CPU. Timings need an NVIDIA GPU." + note, None)
    compiler = _compiler(versions, env, toolkit)
    if compiler is None:
        return KernelRoute("simulator", numba_cuda, tested, None,
                           "numba-cuda is installed but not NVIDIA's compiler (NVVM) it needs to compile kernels for "
                           "this GPU, so kernels run on the simulator for now." + note,
                           f"pip install 'dlpath[{gpu_extra}]'")
    return KernelRoute("cuda", numba_cuda, tested, compiler,
                       "Kernels compile for this GPU: `dlpath check --device cuda` grades them on the simulator and "
                       "also runs them on the GPU and times them against torch's own operation." + note, None)

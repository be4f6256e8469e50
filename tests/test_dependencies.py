"""What a learner installs is enough: torch finds NumPy (no "Failed to initialize NumPy" warning)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_torch_finds_numpy_without_a_warning() -> None:
    code = "import warnings; warnings.simplefilter('always'); import torch; print(torch.tensor([1.5]).numpy()[0])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1.5"
    assert "Failed to initialize NumPy" not in done.stderr and "numpy" not in done.stderr.lower()

"""Small pretrained models shipped as files that load without pickle.

A model lives in a folder as ``model.json`` (its layers, the shape of every
weight, where it came from) next to ``weights.bin`` (every weight as raw
little-endian float32, in the order of the model's ``state_dict``) and
``SOURCE.txt`` (provenance and licence: a model cannot ship without it). The
layers are a plain list, so the model is rebuilt by dlpath's own code, never
by unpickling anything::

    {"format": 1, "layers": [["linear", 2, 256], ["relu"], ["linear", 256, 3]],
     "weights": {"0.weight": [256, 2], "0.bias": [256], ...}, "sha256": "...", "about": {...}}

Layers: ``linear`` (in, out), ``relu``, ``tanh``, ``flatten``, and for small
convolutional networks ``conv2d`` (in channels, out channels, kernel; padding
kernel // 2), ``maxpool2d`` (kernel) and ``global_maxpool`` (the largest value
of each channel). ``save`` writes such a folder from a trained ``nn.Sequential`` (the script
that made the model calls it); ``load`` rebuilds the model, checking the
checksum and every shape. Torch is imported inside the functions.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from dlpath.errors import UsageError

if TYPE_CHECKING:
    from torch import nn

__all__ = ["BadPretrained", "LAYERS", "build", "save", "load"]

FORMAT = 1
#: the layer kinds a shipped model may use, with the number of integer arguments each takes
LAYERS = {"linear": 2, "relu": 0, "tanh": 0, "flatten": 0, "conv2d": 3, "maxpool2d": 1, "global_maxpool": 0}
# conv2d (in channels, out channels, kernel): a square kernel with padding kernel // 2, so an odd kernel keeps the
# image's size; maxpool2d (kernel): stride kernel; global_maxpool: the largest value of each channel, (N, C, 1, 1).


class BadPretrained(UsageError):
    """A shipped model's folder is missing, incomplete or damaged (the message names the file)."""


def build(layers: list[list[Any]]) -> "nn.Sequential":
    """A fresh ``nn.Sequential`` of ``layers`` (``[["linear", 2, 64], ["relu"], ...]``), randomly initialised."""
    from torch import nn

    modules = []
    for number, layer in enumerate(layers):
        if not isinstance(layer, list) or not layer or layer[0] not in LAYERS:
            raise BadPretrained(f"layer {number}: {layer!r} is not one of {', '.join(LAYERS)}")
        kind, args = layer[0], layer[1:]
        if len(args) != LAYERS[kind] or not all(isinstance(a, int) and not isinstance(a, bool) and a > 0
                                                for a in args):
            raise BadPretrained(f"layer {number}: {kind} takes {LAYERS[kind]} whole numbers above 0, not {args!r}")
        modules.append({"linear": lambda: nn.Linear(*args), "relu": nn.ReLU, "tanh": nn.Tanh,
                        "flatten": nn.Flatten,
                        "conv2d": lambda: nn.Conv2d(args[0], args[1], args[2], padding=args[2] // 2),
                        "maxpool2d": lambda: nn.MaxPool2d(args[0]),
                        "global_maxpool": lambda: nn.AdaptiveMaxPool2d(1)}[kind]())
    return nn.Sequential(*modules)


def save(model: "nn.Module", layers: list[list[Any]], folder: Path, about: Mapping[str, Any]) -> Path:
    """Write ``model`` (built as ``build(layers)``) to ``folder``: model.json and weights.bin. Returns model.json."""
    import torch

    state = {name: t.detach().to("cpu", torch.float32).contiguous() for name, t in model.state_dict().items()}
    expected = build(layers).state_dict()
    if list(state) != list(expected) or any(state[k].shape != expected[k].shape for k in state):
        raise BadPretrained("the model's weights do not match its layers")
    raw = b"".join(t.numpy().astype("<f4").tobytes() for t in state.values())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "weights.bin").write_bytes(raw)
    description = {"format": FORMAT, "layers": layers,
                   "weights": {name: list(t.shape) for name, t in state.items()},
                   "sha256": hashlib.sha256(raw).hexdigest(), "about": dict(about)}
    path = folder / "model.json"
    path.write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
    return path


def load(folder: Path) -> "nn.Sequential":
    """The model shipped in ``folder``, in eval mode, on the CPU."""
    import numpy
    import torch

    if not (folder / "SOURCE.txt").is_file():
        raise BadPretrained(f"{folder}: SOURCE.txt (provenance and licence) is missing; a model cannot ship "
                            "without it")
    try:
        description = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        raw = (folder / "weights.bin").read_bytes()
    except (OSError, ValueError) as exc:
        raise BadPretrained(f"{folder}: cannot read the model ({exc})") from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise BadPretrained(f"{folder / 'model.json'}: not a format {FORMAT} model description")
    if len(raw) % 4 or hashlib.sha256(raw).hexdigest() != description.get("sha256"):
        raise BadPretrained(f"{folder / 'weights.bin'}: its checksum differs from model.json's (a damaged file)")
    model = build(description.get("layers") or [])
    shapes = {name: list(t.shape) for name, t in model.state_dict().items()}
    if description.get("weights") != shapes:
        raise BadPretrained(f"{folder / 'model.json'}: the weights' shapes do not match the layers")
    values = torch.from_numpy(numpy.frombuffer(raw, dtype="<f4").astype(numpy.float32))  # any byte order
    if values.numel() != sum(t.numel() for t in model.state_dict().values()):
        raise BadPretrained(f"{folder / 'weights.bin'}: {values.numel()} numbers where the layers hold "
                            f"{sum(t.numel() for t in model.state_dict().values())}")
    state, start = {}, 0
    for name, tensor in model.state_dict().items():
        state[name] = values[start:start + tensor.numel()].reshape(tensor.shape).clone()
        start += tensor.numel()
    model.load_state_dict(state)
    return model.eval()

"""Tensors in a frame's body: raw bytes plus (dtype, shape, offset, size), never pickle.

Used by the learner process and the judge (both import torch); the parent only
relays the bytes. `unpack` trusts nothing: the dtype must be on the allow-list,
the shape must match the size, and every range must lie inside the body.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import torch

__all__ = ["pack", "unpack", "BadTensor", "DTYPES"]

#: dtypes that may cross a process boundary, by name
DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int64": torch.int64,
    "int32": torch.int32,
    "int16": torch.int16,
    "int8": torch.int8,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
_NAMES = {dtype: name for name, dtype in DTYPES.items()}
_MAX_DIMS = 8


class BadTensor(ValueError):
    """A tensor entry that does not describe a valid tensor inside the body."""


def pack(tensors: Mapping[str, Any]) -> tuple[dict[str, dict], bytes]:
    """({name: {dtype, shape, offset, nbytes}}, body) for tensors (CPU copies; other dtypes as float32)."""
    index: dict[str, dict] = {}
    chunks: list[bytes] = []
    offset = 0
    for name, value in tensors.items():
        t = torch.as_tensor(value).detach().cpu()
        if t.dtype not in _NAMES:
            t = t.float()
        t = t.contiguous()
        flat = t.reshape(-1)
        if not t.numel():
            data = b""
        elif t.dtype == torch.bool:
            data = flat.to(torch.uint8).numpy().tobytes()
        else:
            data = flat.view(torch.uint8).numpy().tobytes()
        index[str(name)] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "offset": offset, "nbytes": len(data)}
        chunks.append(data)
        offset += len(data)
    return index, b"".join(chunks)


def unpack(index: Any, body: bytes) -> dict[str, torch.Tensor]:
    """The tensors an index describes, as fresh CPU tensors (copies: nothing aliases the frame)."""
    if index is None:
        return {}
    if not isinstance(index, Mapping):
        raise BadTensor("the tensor index is not a mapping")
    out: dict[str, torch.Tensor] = {}
    for name, spec in index.items():
        if not isinstance(spec, Mapping):
            raise BadTensor(f"tensor {name!r}: not a mapping")
        dtype = DTYPES.get(spec.get("dtype"))
        shape = spec.get("shape")
        offset, nbytes = spec.get("offset"), spec.get("nbytes")
        if dtype is None:
            raise BadTensor(f"tensor {name!r}: dtype {spec.get('dtype')!r} is not allowed")
        if (not isinstance(shape, list) or len(shape) > _MAX_DIMS
                or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**62 for d in shape)):
            raise BadTensor(f"tensor {name!r}: bad shape")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (offset, nbytes)):
            raise BadTensor(f"tensor {name!r}: bad offset or size")
        itemsize = 1 if dtype == torch.bool else torch.empty((), dtype=dtype).element_size()
        if math.prod(shape) * itemsize != nbytes or offset + nbytes > len(body):
            raise BadTensor(f"tensor {name!r}: its size does not match its shape or the body")
        raw = bytearray(body[offset:offset + nbytes])
        if not raw:
            out[str(name)] = torch.zeros(shape, dtype=dtype)
            continue
        flat = torch.frombuffer(raw, dtype=torch.uint8)
        t = flat.to(torch.bool) if dtype == torch.bool else flat.view(dtype)
        out[str(name)] = t.reshape(shape).clone()
    return out

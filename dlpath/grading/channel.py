"""A blocking channel of frames over two file descriptors (the learner process and the judge use it).

The parent does not use this class: it reads frames without blocking in its
event loop (`dlpath.grading.runner`). Tensors are packed into the frame body
with `dlpath.grading.tensors` (so this module imports torch only when a
message carries tensors).
"""

from __future__ import annotations

import os
import threading
from typing import Any, Mapping

from dlpath.grading.protocol import FrameReader, Message, ProtocolError, decode, encode

__all__ = ["Channel"]


class Channel:
    """Frames to and from the parent over two inherited file descriptors."""

    def __init__(self, fd_in: int, fd_out: int) -> None:
        self.fd_in = fd_in
        self.fd_out = fd_out
        self._reader = FrameReader()
        self._pending: list[tuple[bytes, dict, bytes]] = []
        self._lock = threading.Lock()

    def send(self, message: Message, tensors: Mapping[str, Any] | None = None) -> None:
        body, index = b"", None
        if tensors:
            from dlpath.grading.tensors import pack

            index, body = pack(tensors)
        data = memoryview(encode(message, body, index))
        with self._lock:
            while data:
                written = os.write(self.fd_out, data)
                data = data[written:]

    def receive(self) -> tuple[Message, dict[str, Any]]:
        """The next message and its tensors (decoded only when it carries some)."""
        while not self._pending:
            chunk = os.read(self.fd_in, 1 << 20)
            if not chunk:
                raise EOFError("the other side closed the channel")
            self._reader.feed(chunk)
            self._pending.extend(self._reader.frames())
        _, header, body = self._pending.pop(0)
        message = decode(header)
        tensors: dict[str, Any] = {}
        if header.get("tensors"):
            from dlpath.grading.tensors import BadTensor, unpack

            try:
                tensors = unpack(header["tensors"], body)
            except BadTensor as exc:
                raise ProtocolError(str(exc)) from None
        return message, tensors

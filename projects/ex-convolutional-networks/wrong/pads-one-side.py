"""Adds the padding once instead of on both sides."""


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    span = dilation * (kernel - 1) + 1
    return (size + padding - span) // stride + 1

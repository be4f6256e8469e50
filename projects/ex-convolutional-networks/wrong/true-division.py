"""The lesson's formula with / instead of //."""


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    span = dilation * (kernel - 1) + 1
    return (size + 2 * padding - span) / stride + 1

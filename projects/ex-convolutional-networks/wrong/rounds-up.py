"""Counts a last window that does not fit."""

import math


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    span = dilation * (kernel - 1) + 1
    return math.ceil((size + 2 * padding - span) / stride) + 1

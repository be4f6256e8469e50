"""The output size and the parameter count of a convolution (lesson: convolutional-networks): a reference solution.

Grade it from this folder with:

    dlpath check
"""


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    """How many windows fit: (size + 2 * padding - span) // stride + 1, with span the dilated kernel's width."""
    span = dilation * (kernel - 1) + 1  # a kernel of k taps, d apart
    return (size + 2 * padding - span) // stride + 1  # // drops a last window that would not fit


def conv_parameters(in_channels, out_channels, kernel, bias=True):
    """out_channels kernels of in_channels x kernel x kernel weights, plus one bias per output channel."""
    return out_channels * in_channels * kernel * kernel + (out_channels if bias else 0)


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")

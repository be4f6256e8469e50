"""The output size and the parameter count of a convolution (lesson: convolutional-networks).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader compares your answers with what PyTorch's own layers do, on settings you have not
seen. Work them out with arithmetic: do not build a layer to measure it.
"""


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    """The width (or height) of a convolution's output, as nn.Conv2d computes it: a whole number.

    size: the input's width; kernel: the kernel's width; stride: the step between windows;
    padding: zeros added on each side; dilation: the spacing between the kernel's taps (1: next
    to each other). A last window that would stick out past the edge is not counted.
    """
    # TODO: the lesson's (n + 2p - k) / s + 1, rounded down, with the kernel's true span when it is
    # dilated.
    raise NotImplementedError("conv_output_size is not written yet")


def conv_parameters(in_channels, out_channels, kernel, bias=True):
    """The number of learned numbers in nn.Conv2d(in_channels, out_channels, kernel, bias=bias).

    kernel: the side of a square kernel. Returns an int: every weight, plus the biases if any.
    """
    # TODO: how many kernels, how many numbers in each, and how many biases.
    raise NotImplementedError("conv_parameters is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")

"""A kernel of `kernel` weights instead of kernel x kernel."""


def conv_parameters(in_channels, out_channels, kernel, bias=True):
    return out_channels * in_channels * kernel + (out_channels if bias else 0)

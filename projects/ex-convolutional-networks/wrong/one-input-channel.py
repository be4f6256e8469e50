"""Each kernel over one input channel only."""


def conv_parameters(in_channels, out_channels, kernel, bias=True):
    return out_channels * kernel * kernel + (out_channels if bias else 0)

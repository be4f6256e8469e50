"""Counts the weights and forgets the biases."""


def conv_parameters(in_channels, out_channels, kernel, bias=True):
    return out_channels * in_channels * kernel * kernel

"""Leaves the frozen bias out of the layer's total."""


def lora_parameter_count(d_in, d_out, r):
    trainable = r * (d_in + d_out)
    return trainable, trainable + d_out * d_in

"""Counts A and B as r x d each, as if every layer were square (d = d_in)."""


def lora_parameter_count(d_in, d_out, r):
    trainable = 2 * r * d_in
    return trainable, trainable + d_out * d_in + d_out

"""Gives the signal the noise's weight and the noise the signal's."""


def noisy_sample(x0, noise, alpha_bar, t):
    a = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    return (1 - a).sqrt() * x0 + a.sqrt() * noise

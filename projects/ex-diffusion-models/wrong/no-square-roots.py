"""Mixes with alpha_bar and 1 - alpha_bar, forgetting the square roots."""


def noisy_sample(x0, noise, alpha_bar, t):
    a = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    return a * x0 + (1 - a) * noise

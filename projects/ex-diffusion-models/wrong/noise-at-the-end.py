"""Adds fresh noise at every step, the last one (t = 0) included."""


def ddpm_step(x, eps, beta, alpha_bar, t, z):
    x = (x - beta[t] / (1 - alpha_bar[t]).sqrt() * eps) / (1 - beta[t]).sqrt()
    return x + beta[t].sqrt() * z

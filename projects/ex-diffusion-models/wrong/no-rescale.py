"""Removes the predicted noise but forgets to divide by sqrt(1 - beta_t)."""


def ddpm_step(x, eps, beta, alpha_bar, t, z):
    x = x - beta[t] / (1 - alpha_bar[t]).sqrt() * eps
    if t > 0:
        x = x + beta[t].sqrt() * z
    return x

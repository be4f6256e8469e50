"""Scales the predicted noise by beta_t / (1 - alpha_bar_t), without the square root."""


def ddpm_step(x, eps, beta, alpha_bar, t, z):
    x = (x - beta[t] / (1 - alpha_bar[t]) * eps) / (1 - beta[t]).sqrt()
    if t > 0:
        x = x + beta[t].sqrt() * z
    return x

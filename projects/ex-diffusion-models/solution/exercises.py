"""The formulas of a diffusion model: noise to any step, and one DDPM step back (lesson: diffusion-models).

A reference solution. Grade it from this folder with:

    dlpath check
"""

import torch


def signal_left(beta):
    """alpha_bar_t = prod over s <= t of (1 - beta_s): the share of the signal left after step t; shape (T,)."""
    return torch.cumprod(1 - beta, dim=0)  # (T,): every running product at once


def noisy_sample(x0, noise, alpha_bar, t):
    """x_t = sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * noise, with each sample's own t; shape of x0."""
    a = alpha_bar[t]  # (N,): each sample's share of signal left
    a = a.reshape(-1, *[1] * (x0.dim() - 1))  # (N, 1, ...): broadcasts over points and images alike
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def ddpm_step(x, eps, beta, alpha_bar, t, z):
    """x at step t - 1 from x at step t: remove the predicted noise, rescale, add fresh noise unless t == 0."""
    x = (x - beta[t] / (1 - alpha_bar[t]).sqrt() * eps) / (1 - beta[t]).sqrt()
    if t > 0:  # the last step returns the clean sample: fresh noise there would stay in it
        x = x + beta[t].sqrt() * z
    return x


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")

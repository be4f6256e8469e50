"""The formulas of a diffusion model: noise to any step, and one DDPM step back (lesson: diffusion-models).

Write the three functions below, then grade them from this folder:

    dlpath check

The grader calls them on schedules, points and small images you have not seen (the first and
the last step included) and compares the answers with the lesson's formulas. Use torch
operations; nothing here trains a network.
"""

import torch


def signal_left(beta):
    """alpha_bar: the share of the signal left after each step of the forward process.

    beta: a float tensor of shape (T,), the variance of the noise added at each step (the
    lesson's torch.linspace(1e-4, 0.2, 50)). Returns a tensor of shape (T,) and beta's dtype
    where entry t is the product of (1 - beta_s) for s = 0 .. t (so entry 0 is 1 - beta_0).
    """
    # TODO: each step keeps a share (1 - beta_t) of what was left: multiply those shares up,
    # keeping every running product.
    raise NotImplementedError("signal_left is not written yet")


def noisy_sample(x0, noise, alpha_bar, t):
    """Jump straight to step t of the forward process: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) noise.

    x0: a float tensor of shape (N, ...): N data points, or N images (N, C, H, W).
    noise: a tensor of the same shape as x0 (drawn by the caller).
    alpha_bar: a tensor of shape (T,), as signal_left returns.
    t: an int64 tensor of shape (N,): the step of each sample, from 0 to T - 1.
    Returns x_t, a tensor of the same shape as x0. Do not change x0 or noise.
    """
    # TODO: look up each sample's alpha_bar, give it as many trailing axes of size 1 as x0 has
    # beyond the first (so it works for points and images alike), and mix signal and noise.
    raise NotImplementedError("noisy_sample is not written yet")


def ddpm_step(x, eps, beta, alpha_bar, t, z):
    """One DDPM sampling step: from the sample x at step t to the sample at step t - 1.

    x: a float tensor of shape (N, ...), the samples at step t.
    eps: a tensor of the same shape: the noise the network predicted in x.
    beta, alpha_bar: tensors of shape (T,): the schedule of training, and signal_left(beta).
    t: an int, the current step (the same for the whole batch), from T - 1 down to 0.
    z: a tensor of the same shape as x: fresh standard noise (drawn by the caller).
    Returns (x - beta_t / sqrt(1 - alpha_bar_t) * eps) / sqrt(1 - beta_t), plus sqrt(beta_t) * z
    when t > 0; at t = 0, the last step, no noise is added.
    """
    # TODO: remove the predicted noise, rescale, then add back a little fresh noise, except at
    # the very end (t = 0), where the sample is returned clean.
    raise NotImplementedError("ddpm_step is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")

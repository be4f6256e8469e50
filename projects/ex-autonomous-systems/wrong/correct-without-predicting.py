"""Corrects the previous estimate with the measurement, skipping the prediction."""

import torch


def kalman_step(x, P, z, F, Q, H, R):
    K = P @ H.T @ torch.linalg.inv(H @ P @ H.T + R)
    x = x + K @ (z - H @ x)
    return x, (torch.eye(len(x)) - K @ H) @ P

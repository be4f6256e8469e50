"""Predicts the covariance without the process noise Q."""

import torch


def kalman_step(x, P, z, F, Q, H, R):
    x, P = F @ x, F @ P @ F.T
    K = P @ H.T @ torch.linalg.inv(H @ P @ H.T + R)
    x = x + K @ (z - H @ x)
    return x, (torch.eye(len(x)) - K @ H) @ P

"""Corrects the estimate but returns the predicted covariance, not shrunk by the correction."""

import torch


def kalman_step(x, P, z, F, Q, H, R):
    x, P = F @ x, F @ P @ F.T + Q
    K = P @ H.T @ torch.linalg.inv(H @ P @ H.T + R)
    return x + K @ (z - H @ x), P

"""One Kalman filter step, and the distance a car needs to stop (lesson: autonomous-systems).

A reference solution. Grade it from this folder with:

    dlpath check
"""

import torch


def kalman_step(x, P, z, F, Q, H, R):
    """(x, P) after one frame: predicted by F and Q, then corrected by z with the gain K."""
    x, P = F @ x, F @ P @ F.T + Q  # predict: (n,), (n, n); Q lets the world change between frames
    K = P @ H.T @ torch.linalg.inv(H @ P @ H.T + R)  # (n, m): trust z more when R is small against P
    x = x + K @ (z - H @ x)  # correct with the surprise
    P = (torch.eye(len(x), dtype=P.dtype) - K @ H) @ P  # the correction made us surer
    return x, P


def stopping_distance(speed_kmh, decel, latency_ms):
    """Metres: driven at full speed during the latency, then braking from v to 0."""
    v = speed_kmh / 3.6  # m/s: 50 km/h is 13.9 m/s
    reaction = v * latency_ms / 1000  # the brakes are not on yet
    braking = v ** 2 / (2 * decel)
    return reaction + braking


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")

"""One Kalman filter step, and the distance a car needs to stop (lesson: autonomous-systems).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on filters and cars you have not seen (one sensor or two, four states, a
sensor so noisy it should be ignored, a car that stands still) and compares with the answers.
"""

import torch


def kalman_step(x, P, z, F, Q, H, R):
    """One frame of the lesson's Kalman filter: predict with physics, then correct with the sensors.

    x: (n,) the estimate of the state (distance and speed in the lesson); P: (n, n) its covariance.
    z: (m,) this frame's measurements; F: (n, n) the physics (distance += speed * dt);
    Q: (n, n) how much the world may change per frame; H: (m, n) what the sensors see;
    R: (m, m) the sensors' noise covariance.
    Returns (x, P) after the frame: the corrected estimate (n,) and its covariance (n, n). Do not
    change the inputs.
    """
    # TODO: predict (x = F x, P = F P F^T + Q), then compute the gain from the predicted P, correct
    # x with the measurement's surprise z - H x, and shrink P: (I - K H) P.
    raise NotImplementedError("kalman_step is not written yet")


def stopping_distance(speed_kmh, decel, latency_ms):
    """The metres a car drives from the moment something appears until it stands still.

    speed_kmh: the car's speed in km/h (50 in town); decel: the braking deceleration in m/s^2
    (7 for hard braking on a dry road); latency_ms: the time in milliseconds that perception and
    planning take before the brakes come on.
    Returns a float: the metres driven during the latency plus the braking distance.
    """
    # TODO: convert the speed to m/s and the latency to seconds; add the distance driven before
    # braking to the distance braking takes, v^2 / (2 decel).
    raise NotImplementedError("stopping_distance is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")

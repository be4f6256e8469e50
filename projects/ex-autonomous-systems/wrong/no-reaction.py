"""Counts the braking distance only: the car is assumed to brake at once."""


def stopping_distance(speed_kmh, decel, latency_ms):
    v = speed_kmh / 3.6
    return v ** 2 / (2 * decel)

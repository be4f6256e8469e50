"""Multiplies the speed by the latency in milliseconds, as if they were seconds."""


def stopping_distance(speed_kmh, decel, latency_ms):
    v = speed_kmh / 3.6
    return v * latency_ms + v ** 2 / (2 * decel)

"""Uses the speed in km/h as if it were in m/s."""


def stopping_distance(speed_kmh, decel, latency_ms):
    return speed_kmh * latency_ms / 1000 + speed_kmh ** 2 / (2 * decel)

"""Stand-ins for hardware libraries, used by the hardware tests."""

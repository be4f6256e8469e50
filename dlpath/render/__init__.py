"""Rendering: turns the core's plain data into rich output or JSON.

Nothing here decides anything; it only shows what the core returned.
"""

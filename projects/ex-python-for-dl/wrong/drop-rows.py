"""Drops the rows with a missing value instead of filling them."""

import numpy as np


def to_float32(df, columns):
    return df[columns].dropna().to_numpy(dtype=np.float32)

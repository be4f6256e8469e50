"""Fills the gaps with each column's mean instead of its median."""

import numpy as np


def to_float32(df, columns):
    chosen = df[columns]
    return chosen.fillna(chosen.mean()).fillna(0).to_numpy(dtype=np.float32)

"""Right answer, but fills the gaps by writing into the caller's DataFrame."""

import numpy as np


def to_float32(df, columns):
    for c in columns:
        df[c] = df[c].fillna(df[c].median()).fillna(0)
    return df[columns].to_numpy(dtype=np.float32)

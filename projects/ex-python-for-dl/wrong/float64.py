"""Right values, but converted without a dtype: float64, pandas' default."""


def to_float32(df, columns):
    chosen = df[columns]
    return chosen.fillna(chosen.median()).fillna(0).to_numpy()

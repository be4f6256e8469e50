"""Fills the missing values with 0 before summarizing: every mean is pulled down."""


def group_summary(df, by, column):
    return df.fillna({column: 0}).groupby(by)[column].agg(["size", "count", "mean"])

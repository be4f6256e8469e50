"""Counts the group's rows with count, which skips the missing values."""


def group_summary(df, by, column):
    groups = df.groupby(by)[column]
    return {"size": groups.count().to_dict(), "count": groups.count().to_dict(), "mean": groups.mean().to_dict()}

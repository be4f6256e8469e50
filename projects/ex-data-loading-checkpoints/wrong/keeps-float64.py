"""Returns the series' own values, float64 (or int64) as they come."""


class NextValue(NextValue):
    def __getitem__(self, i):
        return self.series[i:i + self.window], self.series[i + self.window]


def next_value_examples(series, window, indices):
    ds = NextValue(series, window)
    return len(ds), [ds[i] for i in indices]

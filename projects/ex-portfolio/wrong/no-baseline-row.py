"""Lists the models but leaves the baseline's own row out."""


def results_table(scores, baseline, metric):
    return "\n".join(line for line in _table_lines(scores, baseline, metric) if "(baseline)" not in line)

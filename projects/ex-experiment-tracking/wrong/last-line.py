"""Reads the last record of the file, whether or not it logs the metric."""


def last_logged(jsonl, key):
    records = []
    for line in jsonl.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    if not records:
        return None
    return records[-1]["epoch"], records[-1].get(key)

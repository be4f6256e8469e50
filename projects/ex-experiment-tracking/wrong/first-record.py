"""Stops at the first record that has the metric."""


def last_logged(jsonl, key):
    for line in jsonl.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if key in record:
            return record["epoch"], record[key]
    return None

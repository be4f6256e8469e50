"""Exact match on the raw strings, before normalization."""


def answer_scores(prediction, reference):
    got, want = words(prediction), words(reference)
    exact = float(prediction == reference)
    if not got or not want:
        return exact, float(got == want)
    common = sum((Counter(got) & Counter(want)).values())
    if common == 0:
        return exact, 0.0
    precision, recall = common / len(got), common / len(want)
    return exact, 2 * precision * recall / (precision + recall)

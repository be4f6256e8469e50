"""Counts the shared words as a set, ignoring how often each occurs."""


def answer_scores(prediction, reference):
    got, want = words(prediction), words(reference)
    if not got or not want:
        return float(got == want), float(got == want)
    common = len(set(got) & set(want))
    if common == 0:
        return 0.0, 0.0
    precision, recall = common / len(got), common / len(want)
    return float(got == want), 2 * precision * recall / (precision + recall)

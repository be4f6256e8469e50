"""Swaps the two names."""


def diagnose(train_errors, val_errors, target):
    verdicts = []
    for train, val in zip(train_errors.tolist(), val_errors.tolist()):
        if val <= target:
            verdicts.append("good")
        elif train > target:
            verdicts.append("overfitting")
        else:
            verdicts.append("underfitting")
    return verdicts

"""Checks the training error before the validation error."""


def diagnose(train_errors, val_errors, target):
    verdicts = []
    for train, val in zip(train_errors.tolist(), val_errors.tolist()):
        if train > target:
            verdicts.append("underfitting")
        elif val <= target:
            verdicts.append("good")
        else:
            verdicts.append("overfitting")
    return verdicts

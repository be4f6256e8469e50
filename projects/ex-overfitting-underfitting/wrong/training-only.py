"""Calls a model good whenever its training error is low."""


def diagnose(train_errors, val_errors, target):
    return ["good" if t <= target else "underfitting" for t in train_errors.tolist()]

"""Validation that mirrors the test, and a public leaderboard read with care (lesson: kaggle-competitions).

Write the three functions below, then grade them from this folder:

    dlpath check

The grader calls them on stores, folds and leaderboards you have not seen (store ids that are
not 0, 1, 2, ..., a fold of one row, a tie on the public board) and checks the answers.
"""

import torch


def group_folds(groups, k):
    """Assign every row to one of k folds so that each store (group) is in exactly one fold.

    groups: an int64 tensor of shape (N,), the store id of each row (any integers, in any order).
    k: the number of folds, at most the number of distinct stores.
    Returns an int64 tensor of shape (N,) with values 0 .. k-1: the fold of each row. All rows of
    a store share a fold, and with G stores each fold holds G // k or G // k + 1 stores. Which
    store goes where is yours to choose (shuffling the stores is fine).
    """
    # TODO: fold the stores, not the rows: deal the distinct store ids out to the k folds, then
    # give each row the fold of its store.
    raise NotImplementedError("group_folds is not written yet")


def out_of_fold(fold, train_preds, test_preds):
    """Out-of-fold predictions of k-fold models, and their average on the test set.

    fold: an int64 tensor of shape (N,), the fold of each training row (0 .. k-1).
    train_preds: a float tensor (k, N): train_preds[f, i] is the prediction for training row i
    of the model fitted on every fold except f.
    test_preds: a float tensor (k, M): each of the k models' predictions on the M test rows.
    Returns (oof, test): oof of shape (N,) holds, for each row, the prediction of the one model
    that never saw it; test of shape (M,) is the average of the k models (the free ensemble).
    """
    # TODO: for row i, the model that left out fold[i] is the only honest one. For the test rows,
    # every model is honest: average them.
    raise NotImplementedError("out_of_fold is not written yet")


def leaderboard_lead(public, private, n_public):
    """How far the best public submission leads the average one, on both boards, and the public noise.

    public, private: float tensors of shape (S,): each submission's accuracy on the public part
    and on the private part of the test set.
    n_public: the number of rows the public part scores (2000 in the lesson).
    Returns (public_lead, private_lead, noise), three floats. The chosen submission is the one
    with the best public score (the earliest one on a tie); its lead is its score minus the
    average score of all submissions, on each board. noise = 1.96 * sqrt(p * (1 - p) / n_public)
    with p the average public score: a public lead below it may well be luck.
    """
    # TODO: choose by the public board (the only one you can see), compare with the average on
    # each board, and compute the 95% half-width of an accuracy measured on n_public rows.
    raise NotImplementedError("leaderboard_lead is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")

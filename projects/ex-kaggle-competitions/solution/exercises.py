"""Validation that mirrors the test, and a public leaderboard read with care (lesson: kaggle-competitions).

A reference solution. Grade it from this folder with:

    dlpath check
"""

import math

import torch


def group_folds(groups, k):
    """The fold (0 .. k-1) of each row; every store in one fold, the stores dealt out evenly."""
    stores = torch.unique(groups)  # (G,), sorted
    order = torch.randperm(len(stores), generator=torch.Generator().manual_seed(0))
    store_fold = torch.empty(len(stores), dtype=torch.int64)
    store_fold[order] = torch.arange(len(stores)) % k  # the i-th shuffled store goes to fold i % k
    return store_fold[torch.searchsorted(stores, groups)]  # (N,): each row takes its store's fold


def out_of_fold(fold, train_preds, test_preds):
    """(oof (N,), test (M,)): each row from the model that left its fold out; the test from all k models."""
    oof = train_preds[fold, torch.arange(train_preds.shape[1])]  # (N,): train_preds[fold[i], i]
    return oof, test_preds.mean(dim=0)  # (M,): the k models are all honest on the test set


def leaderboard_lead(public, private, n_public):
    """(public lead, private lead, noise) of the best public submission over the average one."""
    best = int(torch.argmax(public))  # chosen on what you can see; argmax keeps the first on a tie
    public_lead = float(public[best] - public.mean())
    private_lead = float(private[best] - private.mean())
    p = float(public.mean())
    noise = 1.96 * math.sqrt(p * (1 - p) / n_public)  # the 95% half-width of an accuracy on n_public rows
    return public_lead, private_lead, noise


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")

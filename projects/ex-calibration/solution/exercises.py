"""A reliability table with its ECE, and a temperature fitted on validation logits (lesson: calibration):
a reference solution.

Grade it from this folder with:

    dlpath check
"""

import torch
import torch.nn.functional as F


def reliability_table(probs, labels, bins):
    """(counts, confidence, accuracy, ece): per-bin rows of shape (bins,), and the ECE."""
    conf, pred = probs.max(dim=1)  # (N,), (N,)
    correct = (pred == labels).float()  # (N,)
    counts = torch.zeros(bins, dtype=torch.int64)
    confidence = torch.zeros(bins)
    accuracy = torch.zeros(bins)
    ece = 0.0
    for b in range(bins):
        inside = (conf > b / bins) & (conf <= (b + 1) / bins)  # (lo, hi]: 1.0 is in the last bin
        counts[b] = inside.sum()
        if counts[b] == 0:
            continue  # an empty bin stays 0 and adds nothing: no 0 / 0
        confidence[b] = conf[inside].mean()
        accuracy[b] = correct[inside].mean()
        # the gap's size, weighted by the share of predictions in this bin
        ece += counts[b].item() / len(labels) * (confidence[b] - accuracy[b]).abs().item()
    return counts, confidence, accuracy, ece


def fit_temperature(logits, labels):
    """T minimizing the cross-entropy of logits / T, fitted with L-BFGS on log T."""
    log_t = torch.zeros(1, requires_grad=True)  # T = exp(log_t) > 0, starting at 1
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def validation_nll():
        opt.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    opt.step(validation_nll)
    return log_t.exp().item()


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")

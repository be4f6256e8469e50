"""A reliability table with its ECE, and a temperature fitted on validation logits (lesson: calibration).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on predictions you have not seen (empty bins, a confidence of exactly 1,
overconfident and underconfident models) and compares with the right answers.
"""

import torch
import torch.nn.functional as F


def reliability_table(probs, labels, bins):
    """The lesson's reliability table, and the expected calibration error.

    probs: (N, K) predicted probabilities (rows sum to 1); labels: (N,) int64 true classes;
    bins: the number of equal-width confidence bins. A prediction's confidence is its largest
    probability and its class the argmax. Bin b holds confidences in (b / bins, (b + 1) / bins]:
    closed on the right, so a confidence of exactly 1 is in the last bin.
    Returns (counts, confidence, accuracy, ece): counts an int64 tensor (bins,) of predictions per
    bin; confidence and accuracy float tensors (bins,), the mean confidence and the share of right
    predictions in each bin (both 0 for an empty bin); ece a float, the sum over bins of
    (count / N) * |confidence - accuracy|.
    """
    # TODO: find each prediction's confidence, whether it is right, and its bin; fill the three
    # rows bin by bin, then weigh each bin's gap by its share of the predictions.
    raise NotImplementedError("reliability_table is not written yet")


def fit_temperature(logits, labels):
    """The temperature T > 0 that makes softmax(logits / T) as honest as possible.

    logits: (N, K) validation logits of a trained model; labels: (N,) int64 true classes (the
    model is wrong on some of them, so the best T is finite). Returns T, a float, minimizing the
    cross-entropy of logits / T on these labels, to within 1%.
    """
    # TODO: fit one number by minimizing the validation cross-entropy, as the lesson does.
    raise NotImplementedError("fit_temperature is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")

"""A confusion matrix, then precision, recall and F1 from it (lesson: evaluation-metrics).

Write the two functions below, then grade them from this folder:

    dlpath check

The grader calls them on labels and matrices you have not seen, including a class the model
never predicts, and compares with the right answers.
"""

import torch


def confusion_matrix(y_true, y_pred, num_classes):
    """Count every (true class, predicted class) pair.

    y_true, y_pred: int64 tensors of shape (N,), labels from 0 to num_classes - 1.
    Returns an int64 tensor cm of shape (num_classes, num_classes) where cm[t, p] is the number
    of samples of true class t that were predicted as class p (rows: truth, columns: prediction).
    """
    # TODO: start from a matrix of zeros and add one at [true, predicted] for every sample.
    raise NotImplementedError("confusion_matrix is not written yet")


def precision_recall_f1(cm):
    """Precision, recall and F1 of every class, each class in turn playing "yes".

    cm: a (K, K) tensor of counts, rows the true class and columns the predicted class.
    Returns (precision, recall, f1): three float tensors of shape (K,). A class never predicted
    has precision 0 (not nan), a class that never occurs has recall 0, and F1 is 0 when
    precision + recall is 0.
    """
    # TODO: TP is on the diagonal; what the model predicted as each class is a column sum, what
    # truly is each class a row sum. Then F1 = 2 * p * r / (p + r). Guard every 0 / 0.
    raise NotImplementedError("precision_recall_f1 is not written yet")


if __name__ == "__main__":  # `python exercises.py` would check nothing: dlpath calls the functions above
    print("dlpath checks this file: `dlpath check` in this folder grades each function.")

"""Compress a trained network to a quarter of its size.

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    compress(teacher, data, device, log) -> torch.nn.Module
        teacher is the trained model, nn.Sequential(Linear(2, 256), ReLU, Linear(256, 256),
        ReLU, Linear(256, 3)), in eval mode, on the CPU. data.x_train (N, 2) float32 points
        and data.y_train (N,) int64 labels 0..2, data.x_val, data.y_val: a few hundred
        labelled points (the teacher can label any point you make). Return a smaller model
        that maps points (N, 2) to raw scores (N, 3). log(...) records your curves.
    export(model, example, path) -> None
        Save the compressed model to `path` with torch.export (written for you below).

The grade: the grader loads your file in a fresh process that never imports this code
and compares it with the teacher exported the same way, on 4000 fresh points: your file
must be at most 25% of the teacher's size and lose at most 2 points of accuracy. It must
also be a compression of this teacher: at points between and around the arms, where no data
lie, it must give the teacher's class 98% of the time (a model trained on the labels alone
decides otherwise there). Each grade turns the spirals by a secret angle; the teacher you
get is turned with them.
"""

import torch
import torch.nn.functional as F
from torch import nn

KEEP = 128  # hidden units to keep in each hidden layer, out of 256 (32 .. 256)
STEPS = 600  # training steps after pruning (0 .. 3000)
BATCH_SIZE = 512  # random points per training step
LEARNING_RATE = 0.003  # Adam step size (1e-4 .. 1e-2)
SEED = 0  # fixes the random points


class Int8Linear(nn.Module):
    """A linear layer whose weight is stored as int8 (1 byte each) with one float scale per output row."""

    def __init__(self, linear):
        super().__init__()
        # TODO: quantize linear.weight, shape (out, in). Give each row its own grid step,
        # scale = (largest |w| of the row) / 127, shape (out, 1), and q = round(w / scale),
        # clamped to [-127, 127], as torch.int8. Keep q, scale and the bias with
        # self.register_buffer(name, tensor): torch.export saves a buffer with its own
        # dtype, so q takes 1 byte per weight where the float32 weight took 4.
        self.linear = linear

    def forward(self, x):
        # TODO: dequantize (q.float() * scale, shape (out, in)) and return
        # F.linear(x, that weight, bias).
        return self.linear(x)


def compress(teacher, data, device, log):
    # The teacher's file is about 300 KB. `dlpath check` measures yours and your accuracy
    # on fresh points, and says what your file is made of.
    # TODO: 1. Quantize: swap every nn.Linear of the teacher for an Int8Linear. The accuracy
    # holds and the file shrinks, but only to about a third: the program in the file (the
    # graph of operations, the names and shapes) does not shrink with the weights.
    # TODO: 2. Store fewer weights as well: keep the KEEP hidden units of each hidden layer
    # whose weights are largest (a row of one layer and the matching column of the next:
    # structured pruning) in a smaller nn.Sequential, or start from a narrower student.
    # TODO: 3. Win the accuracy back: train the small model for STEPS steps to give the
    # teacher's outputs on random points of the square the data covers (distillation: the
    # teacher labels any point you make), then quantize it, once its weights are final.
    return teacher


def export(model, example, path):
    batch = torch.export.Dim("batch")  # any batch size, from one request to thousands
    program = torch.export.export(model, (example,), dynamic_shapes=({0: batch},))
    torch.export.save(program, path)


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")

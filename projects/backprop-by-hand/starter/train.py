"""Backpropagation by hand: a tiny autograd engine, and a network trained with it.

Grade it from this folder with `dlpath check`.

The contract (the grader uses these three; keep their names and arguments):

    Value(data)
        A number that remembers how it was computed: v.data (a float), v.grad (0.0 until
        backward() fills it in); v + w, v * w (w a Value or a number, on either side),
        v ** k (k a number), v.tanh(), v.relu(), v.exp(), v.log(); v.backward() puts into
        .grad the gradient of v with respect to every Value it was computed from. The
        grader checks your gradients against torch autograd on graphs that reuse values.
    build_model(info) -> model
        model(point) takes a list of 2 floats and returns a Value: its score (> 0: class 1).
    train(model, data, log) -> None (or the trained model)
        data.x_train (N, 2), data.y_train (N,) labels 0/1, data.x_val, data.y_val are torch
        tensors (.tolist() gives lists). log(epoch=..., train_loss=..., val_accuracy=...).

No torch autograd or torch.optim (the grader counts them). The grade: the gradient check, the
accuracy on 1000 fresh points, that rule, and that backward() is one pass back: timed on graphs
of 1024 leaves and of 2, one size, it costs about the same on both (`dlpath show backprop-by-hand`).
"""

import math
import random

HIDDEN = 8  # tanh units in the hidden layer (4 .. 16; each one costs time: this is pure Python)
LEARNING_RATE = 0.2  # size of the first updates, shrinking to a tenth by the end (0.05 .. 0.5)
EPOCHS = 60  # passes over the training points, one update per point
SEED = 0  # fixes the initial weights and the order of the points


class Value:
    def __init__(self, data, children=(), local_grads=()):
        self.data = float(data)
        self.grad = 0.0  # d(output)/d(self), filled in by backward()
        self._children = children  # the Values this one was computed from
        self._local_grads = local_grads  # d(self)/d(child), one number per child

    def __add__(self, other):  # done for you: d(a + b)/da = 1 and d(a + b)/db = 1
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    # TODO: each operation below claims a derivative of 0 for every child. Replace each 0.0 with
    # the true local derivative d(output)/d(child), worked out on paper (a * b: with respect to a,
    # then to b; then a ** k, tanh, relu, exp, log).
    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (0.0, 0.0))

    def __pow__(self, k):  # k is a plain number
        return Value(self.data**k, (self,), (0.0,))

    def tanh(self):
        return Value(math.tanh(self.data), (self,), (0.0,))

    def relu(self):
        return Value(max(self.data, 0.0), (self,), (0.0,))

    def exp(self):
        return Value(math.exp(self.data), (self,), (0.0,))

    def log(self):
        return Value(math.log(self.data), (self,), (0.0,))

    __radd__ = __add__  # 2 + v and 2 * v: Python asks the Value on the right
    __rmul__ = __mul__

    def backward(self):
        self.grad = 1.0  # d(self)/d(self)
        # TODO: apply the chain rule from here back to the leaves: every value hands each of
        # its children (local gradient x its own .grad). A value may be used several times, so
        # it must collect every share before passing its own on: list the values so that each
        # comes after its children (a depth-first walk), then go through that list backwards.


def neuron(weights, inputs):
    return sum((w * x for w, x in zip(weights, inputs)), weights[-1])  # w . x + b (bias last)


class MLP:
    def __init__(self, inputs, hidden):
        self.hidden = [[Value(random.uniform(-1, 1)) for _ in range(inputs + 1)] for _ in range(hidden)]
        self.out = [Value(random.uniform(-1, 1)) for _ in range(hidden + 1)]

    def parameters(self):
        return [w for unit in self.hidden + [self.out] for w in unit]

    def __call__(self, point):
        h = [neuron(unit, point).tanh() for unit in self.hidden]  # (HIDDEN,) Values
        return neuron(self.out, h)  # the score


def build_model(info):
    random.seed(SEED)
    return MLP(info["input_shape"][0], HIDDEN)


def train(model, data, log):
    xs, signs = data.x_train.tolist(), [1.0 if c == 1 else -1.0 for c in data.y_train.tolist()]
    params, order = model.parameters(), list(range(len(xs)))  # xs: N lists of 2 floats
    for epoch in range(EPOCHS):
        random.Random(SEED + epoch).shuffle(order)
        step = LEARNING_RATE * (1 - 0.9 * epoch / EPOCHS)  # smaller steps as training settles
        total = 0.0
        for i in order:  # one point per update: a small graph each time, so many cheap steps
            loss = ((-signs[i] * model(xs[i])).exp() + 1).log()  # log(1 + exp(-y * score))
            for p in params:
                p.grad = 0.0  # .grad adds up: start every step from zero
            loss.backward()
            for p in params:
                p.data -= step * p.grad
            total += loss.data
        if epoch % 5 == 0 or epoch == EPOCHS - 1:
            val = sum((model(x).data > 0) == (c == 1) for x, c in zip(data.x_val.tolist(), data.y_val.tolist()))
            log(epoch=epoch, train_loss=total / len(xs), val_accuracy=val / len(data.y_val))


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")

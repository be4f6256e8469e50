"""Compress a trained network to a quarter of its size (naive baseline: prune and quantize, no fine-tuning).

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

The plan of this baseline: prune half the hidden units and quantize to int8, and stop
there. The file fits easily, but nothing teaches the remaining units to do the work of
the removed ones: it must fail on accuracy.
"""

import torch
import torch.nn.functional as F
from torch import nn

KEEP = 128  # hidden units kept in each hidden layer, out of 256 (32 .. 256)
STEPS = 0  # no fine-tuning after pruning: the mistake this baseline makes
BATCH_SIZE = 512  # random points per distillation step
LEARNING_RATE = 0.003  # Adam step size (1e-4 .. 1e-2)
TEMPERATURE = 2.0  # softens the teacher's outputs so its runner-up classes count too (1 .. 8)
SEED = 0  # fixes the random points


class Int8Linear(nn.Module):
    """A linear layer whose weight is stored as int8 (1 byte each) with one float scale per output row."""

    def __init__(self, linear):
        super().__init__()
        w = linear.weight.detach()  # (out, in) float32
        scale = w.abs().amax(dim=1, keepdim=True).clamp_min(1e-8) / 127  # (out, 1): each row's grid step
        # Buffers, not parameters: torch.export stores them with their own dtype, 1 byte per weight.
        self.register_buffer("weight_int8", torch.round(w / scale).clamp(-127, 127).to(torch.int8))
        self.register_buffer("scale", scale)
        self.register_buffer("bias", linear.bias.detach().clone())  # (out,) a few numbers: float32 is fine

    def forward(self, x):
        return F.linear(x, self.weight_int8.float() * self.scale, self.bias)  # dequantize, then multiply


def prune_hidden_units(model, keep):
    """Structured pruning: keep the `keep` hidden units of each hidden layer whose weights are largest."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    layers, kept = [], None  # kept: the previous layer's surviving units
    for number, linear in enumerate(linears):
        w, b = linear.weight.detach(), linear.bias.detach()
        if kept is not None:
            w = w[:, kept]  # the columns of removed inputs go too
        if number < len(linears) - 1:  # a hidden layer: keep its strongest rows
            kept = w.norm(dim=1).topk(keep).indices.sort().values  # (keep,)
            w, b = w[kept], b[kept]
        smaller = nn.Linear(w.shape[1], w.shape[0])
        smaller.weight.data.copy_(w)
        smaller.bias.data.copy_(b)
        layers += [smaller, nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # 2 -> keep -> keep -> 3


def distil(student, teacher, data, log):
    """Train `student` to give the teacher's (softened) outputs on random points of the data's square."""
    low = data.x_train.min(dim=0).values - 0.1  # (2,)
    high = data.x_train.max(dim=0).values + 0.1
    generator = torch.Generator().manual_seed(SEED)
    optimizer = torch.optim.Adam(student.parameters(), lr=LEARNING_RATE)
    for step in range(STEPS):
        x = low + (high - low) * torch.rand(BATCH_SIZE, 2, generator=generator)  # (B, 2)
        with torch.no_grad():
            target = F.softmax(teacher(x) / TEMPERATURE, dim=1)  # (B, 3)
        student.train()
        loss = F.kl_div(F.log_softmax(student(x) / TEMPERATURE, dim=1), target, reduction="batchmean")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 99:
            student.eval()
            with torch.no_grad():
                accuracy = (student(data.x_val).argmax(dim=1) == data.y_val).float().mean().item()
            log(epoch=step + 1, train_loss=loss.item(), val_accuracy=accuracy)
    return student.eval()


def compress(teacher, data, device, log):
    student = prune_hidden_units(teacher, KEEP)  # 67,331 weights -> 17,411
    student = distil(student, teacher, data, log)  # win back what the removed units did
    # Quantize last, once the weights are final: 4 bytes -> 1 byte per weight.
    return nn.Sequential(*[Int8Linear(m) if isinstance(m, nn.Linear) else m for m in student]).eval()


def export(model, example, path):
    batch = torch.export.Dim("batch")  # any batch size, from one request to thousands
    program = torch.export.export(model, (example,), dynamic_shapes=({0: batch},))
    torch.export.save(program, path)

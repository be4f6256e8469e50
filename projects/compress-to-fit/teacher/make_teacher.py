"""Make the teacher of the compress-to-fit project: a wide MLP trained on dlpath's spirals.

Run from anywhere, with dlpath installed (it takes about 15 s on one CPU core):

    python projects/compress-to-fit/teacher/make_teacher.py

It draws 20,000 training points from the project's spirals in their published
world, world 0 (the data set and its parameters are read from ../project.yaml;
a grade carries the teacher into its own secret world, see
dlpath/grading/tasks/compressed.py, world_teacher), trains the
teacher with a fixed seed on one thread, and writes model.json and weights.bin
beside this file (dlpath.envs.pretrained's format: raw float32, loaded without
pickle). The same PyTorch version gives the same weights; SOURCE.txt records
which one made the shipped files.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from dlpath.envs import pretrained
from dlpath.datasets import generate
from dlpath.grading.project import load_project

HIDDEN = 256  # units in each of the two hidden layers: deliberately more than spirals need
POINTS = 20_000  # training points (the learner gets a few hundred)
EPOCHS = 60
BATCH_SIZE = 250
LEARNING_RATE = 3e-3  # Adam, with a cosine schedule down to 0
SEED = 2026  # the data's seed and the initial weights' seed

HERE = Path(__file__).resolve().parent


def main() -> None:
    torch.set_num_threads(1)
    project = load_project(HERE.parent)
    spec = project.dataset
    data = generate(spec.name, POINTS, SEED, **spec.params)
    check = generate(spec.name, 5_000, SEED + 1, **spec.params)
    classes = data.info["num_classes"]
    layers = [["linear", data.info["input_shape"][0], HIDDEN], ["relu"], ["linear", HIDDEN, HIDDEN], ["relu"],
              ["linear", HIDDEN, classes]]
    torch.manual_seed(SEED)
    model = pretrained.build(layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, EPOCHS)
    order = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        model.train()
        for batch in torch.randperm(POINTS, generator=order).split(BATCH_SIZE):
            loss = nn.functional.cross_entropy(model(data.x[batch]), data.y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()
    model.eval()
    with torch.no_grad():
        accuracy = float((model(check.x).argmax(dim=1) == check.y).float().mean())
    about = {"made_by": "projects/compress-to-fit/teacher/make_teacher.py", "torch": torch.__version__,
             "data": {"name": spec.name, "params": dict(spec.params), "points": POINTS, "seed": SEED},
             "training": {"epochs": EPOCHS, "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE,
                          "optimizer": "Adam, cosine schedule"},
             "accuracy_on_5000_fresh_points": round(accuracy, 4)}
    path = pretrained.save(model, layers, HERE, about)
    print(f"wrote {path} and weights.bin; accuracy on 5,000 fresh points {accuracy:.4f}")


if __name__ == "__main__":
    main()

"""Make the backbone of the transfer-with-40-labels project: a small convolutional network trained on other shapes.

Run from anywhere, with dlpath installed (it takes about 40 s on one CPU core):

    python projects/transfer-with-40-labels/backbone/make_backbone.py

The source task: 20,000 labelled images of circles, squares, triangles and crosses
(dlpath's `chosen_shapes`, with the image size and noise of the project's data set,
read from ../project.yaml). The project's target task has six shapes (rings and bars
added) and 40 labels. A network of three convolution blocks and a linear layer is
trained on the source task with a fixed seed on one thread; the convolution blocks (the
backbone, images (N, 1, 16, 16) -> features (N, 32)) are written to model.json and
weights.bin beside this file (dlpath.envs.pretrained's format: raw float32, loaded without
pickle); the linear layer, which names the source task's shapes, is dropped. The same
PyTorch version gives the same weights; SOURCE.txt records which one made the shipped files.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from dlpath.envs import pretrained
from dlpath.datasets import generate
from dlpath.grading.project import load_project

SOURCE_SHAPES = "circle,square,triangle,cross"  # the source task's classes (the target adds rings and bars)
CHANNELS = (16, 32, 32)  # output channels of the three convolution blocks; the last is the feature size
IMAGES = 20_000  # labelled source images (the learner gets 40 of the target task)
EPOCHS = 12
BATCH_SIZE = 128
LEARNING_RATE = 3e-3  # Adam, with a cosine schedule down to 0
SEED = 2026  # the data's seed and the initial weights' seed

HERE = Path(__file__).resolve().parent


def backbone_layers() -> list[list]:
    """Three blocks of 3x3 convolution and ReLU (max pooling between them), then the largest value per channel."""
    (a, b, c) = CHANNELS
    return [["conv2d", 1, a, 3], ["relu"], ["maxpool2d", 2],  # (N, a, 8, 8)
            ["conv2d", a, b, 3], ["relu"], ["maxpool2d", 2],  # (N, b, 4, 4)
            ["conv2d", b, c, 3], ["relu"], ["global_maxpool"], ["flatten"]]  # (N, c)


def main() -> None:
    torch.set_num_threads(1)
    spec = load_project(HERE.parent).dataset
    params = {k: v for k, v in spec.params.items() if k != "shapes"} | {"shapes": SOURCE_SHAPES}
    data = generate("chosen_shapes", IMAGES, SEED, **params)
    check = generate("chosen_shapes", 4_000, SEED + 1, **params)
    torch.manual_seed(SEED)
    backbone = pretrained.build(backbone_layers())
    model = nn.Sequential(backbone, nn.Linear(CHANNELS[-1], data.info["num_classes"]))
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, EPOCHS)
    order = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        model.train()
        for batch in torch.randperm(IMAGES, generator=order).split(BATCH_SIZE):
            loss = nn.functional.cross_entropy(model(data.x[batch]), data.y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()
    model.eval()
    with torch.no_grad():
        accuracy = float((model(check.x).argmax(dim=1) == check.y).float().mean())
    about = {"made_by": "projects/transfer-with-40-labels/backbone/make_backbone.py", "torch": torch.__version__,
             "features": CHANNELS[-1],
             "source_task": {"name": "chosen_shapes", "params": params, "images": IMAGES, "seed": SEED},
             "training": {"epochs": EPOCHS, "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE,
                          "optimizer": "Adam, cosine schedule", "head": "nn.Linear(32, 4), dropped"},
             "source_accuracy_on_4000_fresh_images": round(accuracy, 4)}
    path = pretrained.save(backbone, backbone_layers(), HERE, about)
    print(f"wrote {path} and weights.bin; source-task accuracy on 4,000 fresh images {accuracy:.4f}")


if __name__ == "__main__":
    main()

"""Mixed precision: train a small CNN with its heavy work in 16-bit (reference solution).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [1, 16, 16] (one grayscale channel) and info["num_classes"]
        is 4. The model maps images (N, 1, 16, 16) to raw scores (logits) of shape (N, 4),
        and its forward runs its heavy work (convolutions, linear layers) under
        torch.autocast: bfloat16 on a CPU; float16 (with a GradScaler) or bfloat16 on a GPU.
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 1, 16, 16) float32 images, data.y_train (N,) int64 labels 0..3
        (circle, square, triangle, cross), and data.x_val, data.y_val likewise.
        device is "cpu" or "cuda". Train in mixed precision: the weights stay float32, the
        heavy work runs in 16-bit. log(epoch=..., train_loss=..., val_loss=...,
        val_accuracy=...) records your learning curves. Leave the model in eval mode.

The grade: accuracy on 2000 fresh images, and the share of the convolutions' and matrix
products' work done in 16-bit. The grader replays the model you return in its own process
and sees the precision written into it; how your training steps ran is counted in your own
process. The weights must stay float32 (`dlpath show mixed-precision` lists the targets).
"""

import torch
from torch import nn

CHANNELS = (16, 32)  # output channels of each convolution block (8 .. 64 each)
LEARNING_RATE = 0.003  # Adam step size (1e-4 .. 1e-2)
EPOCHS = 10  # passes over the training set
BATCH_SIZE = 64  # images per gradient step
SEED = 0  # fixes the initial weights and the shuffling


def half_type(device_type):
    """bfloat16 on a CPU (float32's range, no scaler needed); float16 on a GPU, whose tensor cores all have it."""
    return torch.float16 if device_type == "cuda" else torch.bfloat16


class MixedPrecisionCNN(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        blocks, width = [], 1
        for out in channels:
            blocks += [nn.Conv2d(width, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            width = out
        self.body = nn.Sequential(*blocks, nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(width, classes))

    def forward(self, x):  # (N, 1, 16, 16) float32
        # Inside autocast the convolutions and the linear layer cast their inputs and (float32) weights to
        # 16-bit on the fly; the weights themselves stay float32, the "master weights".
        with torch.autocast(device_type=x.device.type, dtype=half_type(x.device.type)):
            logits = self.body(x)  # (N, 4) in 16-bit
        return logits.float()  # the loss and the softmax behind it are safer in float32


def build_model(info):
    torch.manual_seed(SEED)
    return MixedPrecisionCNN(CHANNELS, info["num_classes"])


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 1, 16, 16), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    # float16 has a narrow range: small gradients would underflow to zero. The scaler multiplies the loss
    # before backward() and divides the gradients back before the step. bfloat16 (the CPU) does not need it.
    scaler = torch.amp.GradScaler(device, enabled=half_type(device) == torch.float16)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(x), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            loss = loss_fn(model(x[batch]), y[batch])  # the forward pass runs under the model's autocast
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            logits = model(x_val)  # (N_val, 4)
            val_loss = loss_fn(logits, y_val).item()
            val_accuracy = (logits.argmax(dim=1) == y_val).float().mean().item()
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_accuracy=val_accuracy)
    model.eval()


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")

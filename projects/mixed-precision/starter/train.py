"""Mixed precision: train a small CNN with its heavy work in 16-bit.

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


class CNN(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        blocks, width = [], 1
        for out in channels:
            blocks += [nn.Conv2d(width, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            width = out
        self.body = nn.Sequential(*blocks, nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(width, classes))

    def forward(self, x):  # (N, 1, 16, 16) float32
        # TODO: run the heavy work in 16-bit. Put the call to self.body inside
        # `with torch.autocast(device_type=x.device.type, dtype=...):`, with bfloat16 on
        # a CPU (x.device.type == "cpu") and float16 on a GPU. Autocast casts inputs and
        # weights of each convolution and linear layer to 16-bit on the fly and leaves
        # the weights themselves in float32. Return the logits as float32 (.float()):
        # the loss is computed more safely in float32. Because the autocast lives in
        # forward, training uses it too, and so does the grader when it replays the model.
        return self.body(x)  # (N, 4)


def build_model(info):
    torch.manual_seed(SEED)
    return CNN(CHANNELS, info["num_classes"])


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 1, 16, 16), (N,)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    # TODO: on a GPU with float16, small gradients underflow to zero: make a
    # torch.amp.GradScaler(device, enabled=...) switched on for float16 only, and replace
    # the backward/step lines below by scaler.scale(loss).backward(),
    # scaler.step(optimizer), scaler.update(). bfloat16 (the CPU) does not need it.
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(x), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            loss = loss_fn(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
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

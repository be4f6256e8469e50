"""Two processes, one model (naive baseline: two processes that each train their own copy, which must fail).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["input_shape"] is [2] and info["num_classes"] is 3. The model maps a batch
        of points (N, 2) to raw scores (logits) of shape (N, 3): no softmax at the end.
    train(model, data, rank, world_size, log) -> None (or the trained model)
        Runs in two processes at once: rank 0 and rank 1 (world_size is 2), each with the
        same model and all of data: data.x_train (N, 2) float32, data.y_train (N,) int64,
        data.x_val, data.y_val. The grader sets MASTER_ADDR=127.0.0.1 and MASTER_PORT (a
        free port) in both processes, as torchrun does, so init_process_group("gloo", ...)
        finds the other rank. Pass the rows of data.x_train to the model unchanged (the
        grader recognizes them). log(...) works on rank 0; on rank 1 it does nothing.
        Each rank runs on one CPU thread. Leave the model in eval mode when you return.

The grade: both ranks end with the same weights, they trained on different samples at each step, and rank
0's model classifies 3000 fresh points, inside the 60 s budget (`dlpath show two-processes-one-model` lists
the exact targets).
"""

import torch
from torch import nn

HIDDEN = 64  # units in each hidden layer (16 .. 128)
LEARNING_RATE = 0.01  # Adam step size (1e-4 .. 1e-1)
EPOCHS = 80  # passes over this rank's half of the training set
BATCH_PER_RANK = 250  # points per step
SEED = 0  # fixes the initial weights and the shuffling (the same on both ranks)


def build_model(info):
    torch.manual_seed(SEED)
    return nn.Sequential(
        nn.Linear(info["input_shape"][0], HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, info["num_classes"]),  # logits: CrossEntropyLoss applies the softmax
    )


def train(model, data, rank, world_size, log):
    # Each rank takes its own half of the data and trains on it alone: no process group,
    # no DistributedDataParallel. Twice the hardware, but two different models at the end.
    x, y = data.x_train[rank::world_size], data.y_train[rank::world_size]  # (N/2, 2), (N/2,)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), BATCH_PER_RANK):
            batch = order[start : start + BATCH_PER_RANK]
            loss = loss_fn(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        if rank == 0 and (epoch % 10 == 0 or epoch == EPOCHS - 1):
            model.eval()
            with torch.no_grad():
                logits = model(data.x_val)  # (N_val, 3)
                val_loss = loss_fn(logits, data.y_val).item()
                val_accuracy = (logits.argmax(dim=1) == data.y_val).float().mean().item()
            log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_accuracy=val_accuracy)
    model.eval()

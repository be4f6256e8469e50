"""Two processes, one model: data-parallel training with DistributedDataParallel (reference solution).

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

The grade: both ranks end with the same weights, they trained on different samples at each step, and
rank 0's model classifies 3000 fresh points, inside the 60 s budget (`dlpath show
two-processes-one-model` lists the exact targets).
"""

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

HIDDEN = 64  # units in each hidden layer (16 .. 128)
LEARNING_RATE = 0.01  # Adam step size (1e-4 .. 1e-1)
EPOCHS = 80  # passes over the training set (each rank sees half of it per epoch)
BATCH_PER_RANK = 250  # points per rank per step: one step averages 2 x 250 = 500 points
SEED = 0  # fixes the initial weights and the shuffling (the same on both ranks)


def build_model(info):
    torch.manual_seed(SEED)
    return nn.Sequential(
        nn.Linear(info["input_shape"][0], HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, info["num_classes"]),  # logits: CrossEntropyLoss applies the softmax
    )


def train(model, data, rank, world_size, log):
    # Join the other rank: "gloo" runs on CPUs; the address and port come from MASTER_ADDR and
    # MASTER_PORT in the environment (init_method="env://", the default).
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    # DDP copies rank 0's weights to every rank, then averages the gradients of all ranks in
    # every backward(): the same weights take the same steps, so the copies stay identical.
    ddp = DistributedDataParallel(model)
    dataset = TensorDataset(data.x_train, data.y_train)
    # Each rank draws its own half of every shuffled epoch: no sample is used twice per step.
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=SEED)
    loader = DataLoader(dataset, batch_size=BATCH_PER_RANK, sampler=sampler)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on both ranks
        ddp.train()
        total, count = 0.0, 0
        for x, y in loader:  # (B, 2), (B,): this rank's share of the batch
            loss = loss_fn(ddp(x), y)
            optimizer.zero_grad()
            loss.backward()  # the gradients are averaged across the ranks here
            optimizer.step()
            total, count = total + loss.item() * len(y), count + len(y)
        if rank == 0 and (epoch % 10 == 0 or epoch == EPOCHS - 1):
            model.eval()
            with torch.no_grad():
                logits = model(data.x_val)  # (N_val, 3)
                val_loss = loss_fn(logits, data.y_val).item()
                val_accuracy = (logits.argmax(dim=1) == data.y_val).float().mean().item()
            log(epoch=epoch, train_loss=total / count, val_loss=val_loss, val_accuracy=val_accuracy)
    dist.destroy_process_group()
    model.eval()  # the grader measures the model as you return it (the weights DDP trained)


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")

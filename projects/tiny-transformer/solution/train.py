"""A tiny transformer decoder that reverses a string of digits (reference solution).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions and reads CAUSAL; keep their names):

    build_model(info) -> torch.nn.Module
        The model maps token ids (N, 16) int64 to raw scores (N, 16, 12): at each position,
        the scores of the token that comes next. Tokens: 0-9 the digits, 10 "=", 11 a blank.
    train(model, data, device, log) -> None (or the trained model)
        data.x_train (N, 16) int64: the text "8 digits = the digits reversed" without its last
        token; data.y_train (N, 16) int64: the next token at each position, -100 on the prompt
        (F.cross_entropy(..., ignore_index=-100) skips it). data.x_val, data.y_val likewise.
        log(epoch=..., train_loss=..., val_loss=...) records your learning curves.
    CAUSAL = True
        This model is a decoder: position t sees only tokens 0..t. The grader writes each
        answer one token at a time (the highest score, appended) and checks that changing a
        later token never changes an earlier output.

The grade: the share of fresh prompts whose whole answer is right (`dlpath show
tiny-transformer` gives the target).
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

CAUSAL = True  # a decoder (see the contract)
WIDTH = 32  # size of each token's vector (16 .. 64)
HEADS = 2  # attention heads per layer (WIDTH must divide by it)
LAYERS = 2  # transformer blocks (1 .. 4)
LEARNING_RATE = 0.003  # AdamW step size (3e-4 .. 1e-2)
EPOCHS = 4  # passes over the training set
BATCH_SIZE = 64  # texts per gradient step
SEED = 0  # fixes the initial weights and the shuffling


class Block(nn.Module):
    """Attention (tokens look at earlier tokens), then an MLP on each position; both as residual branches."""

    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(WIDTH), nn.LayerNorm(WIDTH)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.mlp = nn.Sequential(nn.Linear(WIDTH, 4 * WIDTH), nn.GELU(), nn.Linear(4 * WIDTH, WIDTH))

    def forward(self, h):  # (N, T, WIDTH)
        n, t, _ = h.shape
        q, k, v = self.qkv(self.norm1(h)).split(WIDTH, dim=2)  # 3 x (N, T, WIDTH)
        q, k, v = (z.view(n, t, HEADS, WIDTH // HEADS).transpose(1, 2) for z in (q, k, v))  # (N, HEADS, T, W/H)
        scores = q @ k.transpose(2, 3) / math.sqrt(WIDTH // HEADS)  # (N, HEADS, T, T)
        # The causal mask: position t may not look at any position after it.
        future = torch.triu(torch.ones(t, t, dtype=torch.bool, device=h.device), diagonal=1)
        scores = scores.masked_fill(future, float("-inf"))
        mixed = (scores.softmax(dim=3) @ v).transpose(1, 2).reshape(n, t, WIDTH)  # (N, T, WIDTH)
        h = h + self.proj(mixed)
        return h + self.mlp(self.norm2(h))


class Decoder(nn.Module):
    def __init__(self, vocab, length):
        super().__init__()
        self.token = nn.Embedding(vocab, WIDTH)
        # Attention alone treats the text as a set: a learned vector per position says where each token is.
        self.position = nn.Embedding(length, WIDTH)
        self.blocks = nn.Sequential(*[Block() for _ in range(LAYERS)])
        self.norm = nn.LayerNorm(WIDTH)
        self.out = nn.Linear(WIDTH, vocab)

    def forward(self, x):  # (N, T) int64
        where = torch.arange(x.shape[1], device=x.device)  # (T,)
        h = self.token(x) + self.position(where)  # (N, T, WIDTH)
        return self.out(self.norm(self.blocks(h)))  # (N, T, vocab)


def build_model(info):
    torch.manual_seed(SEED)
    return Decoder(info["vocab_size"], info["input_shape"][0])


def train(model, data, device, log):
    model.to(device)
    x, y = data.x_train.to(device), data.y_train.to(device)  # (N, 16), (N, 16)
    x_val, y_val = data.x_val.to(device), data.y_val.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    generator = torch.Generator().manual_seed(SEED)

    def loss_of(scores, targets):  # (N, T, V), (N, T): the prompt's -100 targets are skipped
        return F.cross_entropy(scores.flatten(0, 1), targets.flatten(), ignore_index=-100)

    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(x), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            loss = loss_of(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            val_loss = loss_of(model(x_val), y_val).item()
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss)
    model.eval()


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")

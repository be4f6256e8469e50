"""Negation changes everything: a review classifier that reads words in order (reference solution).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these four functions; keep their names and arguments):

    build_vocab(texts) -> vocab
        texts is the list of training reviews (data.x_train). Returns what encode needs.
    encode(texts, vocab) -> torch.Tensor
        A list of N reviews -> token ids (N, T) int64. The grader calls it on fresh reviews.
    build_model(info) -> torch.nn.Module
        info["vocab"] is what build_vocab returned; info["num_classes"] is 2 (0 negative,
        1 positive). The model maps token ids (N, T) to raw scores (logits) (N, 2).
    train(model, data, device, log) -> None (or the trained model)
        data.x_train, data.x_val: lists of review strings; data.y_train, data.y_val: (N,)
        int64 labels. log(epoch=..., train_loss=..., val_loss=..., val_accuracy=...) records
        your learning curves. Leave the model in eval mode when you return.

The grade: accuracy on 3000 fresh reviews, and on those of them with a negation ("not bad at all",
"hardly great"), inside the 60 s budget (`dlpath show negation-changes-everything` lists the exact
targets).
In a grade, the adjectives ("good", "dull", ...) are words of an invented language, new at every
grade: the vocabulary must come from the training reviews, as build_vocab builds it here.
"""

import re
from collections import Counter

import torch
from torch import nn

EMBED = 32  # numbers per token (8 .. 128)
HIDDEN = 64  # GRU units (16 .. 256)
LEARNING_RATE = 0.005  # Adam step size (1e-4 .. 1e-2)
EPOCHS = 5  # passes over the training reviews
BATCH_SIZE = 64  # reviews per gradient step
SEED = 0  # fixes the initial weights and the shuffling
PAD, UNKNOWN = 0, 1  # the ids kept for padding and for tokens never seen in training


def tokenize(text):
    # "Not bad at all!" -> ["not", "bad", "at", "all", "!"]: lower case, punctuation apart
    return re.findall(r"[a-z']+|[.,!?]", text.lower())


def build_vocab(texts):
    counts = Counter(token for text in texts for token in tokenize(text))
    vocab = {"<pad>": PAD, "<unk>": UNKNOWN}
    for token, _ in counts.most_common():
        vocab[token] = len(vocab)
    return vocab


def encode(texts, vocab):
    rows = [[vocab.get(token, UNKNOWN) for token in tokenize(text)] for text in texts]
    length = max([len(row) for row in rows] + [1])
    ids = torch.full((len(rows), length), PAD, dtype=torch.long)  # (N, T)
    for i, row in enumerate(rows):
        if row:  # pad on the left, so that the GRU's last step is the review's last word
            ids[i, length - len(row):] = torch.tensor(row)
    return ids


class ReviewReader(nn.Module):
    """Embeds each token, reads them in order with a GRU, classifies from its last state."""

    def __init__(self, vocab_size, classes):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, EMBED, padding_idx=PAD)
        self.gru = nn.GRU(EMBED, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, classes)

    def forward(self, ids):  # (N, T) int64
        x = self.embed(ids)  # (N, T, EMBED)
        _, last = self.gru(x)  # (1, N, HIDDEN): the state after the last word, which saw "not" before "good"
        return self.head(last[0])  # (N, classes) logits


def build_model(info):
    torch.manual_seed(SEED)
    return ReviewReader(len(info["vocab"]), info["num_classes"])


def train(model, data, device, log):
    torch.manual_seed(SEED)
    model.to(device)
    vocab = data.info["vocab"]
    x, y = encode(data.x_train, vocab).to(device), data.y_train.to(device)  # (N, T), (N,)
    x_val, y_val = encode(data.x_val, vocab).to(device), data.y_val.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
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
            logits = model(x_val)  # (N_val, 2)
            val_loss = loss_fn(logits, y_val).item()
            val_accuracy = (logits.argmax(dim=1) == y_val).float().mean().item()
        log(epoch=epoch, train_loss=total / len(x), val_loss=val_loss, val_accuracy=val_accuracy)
    model.eval()  # the grader measures the model as you return it


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")

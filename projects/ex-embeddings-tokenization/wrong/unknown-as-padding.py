"""Looks unknown words up with a default of 0, the padding id."""


def encode(train_texts, texts, min_count):
    counts = Counter(word for text in train_texts for word in text.split())
    vocab = {w: i for i, w in enumerate(sorted(w for w, n in counts.items() if n >= min_count), start=2)}
    rows = [[vocab.get(w, 0) for w in text.split()] for text in texts]
    ids = torch.full((len(texts), max([len(r) for r in rows], default=0)), PAD, dtype=torch.int64)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.int64)
    return ids

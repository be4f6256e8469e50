"""Leaves pad_sequence time first (no batch_first=True)."""


def pad_collate(batch, pad_value):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(list(seqs), padding_value=pad_value), lengths, torch.stack(labels)

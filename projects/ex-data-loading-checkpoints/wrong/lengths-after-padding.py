"""Measures the lengths on the padded batch."""


def pad_collate(batch, pad_value):
    seqs, labels = zip(*batch)
    padded = pad_sequence(list(seqs), batch_first=True, padding_value=pad_value)
    lengths = torch.tensor([len(row) for row in padded])
    return padded, lengths, torch.stack(labels)

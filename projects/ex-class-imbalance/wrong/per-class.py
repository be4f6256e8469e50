"""Returns the per-class weights, not one per example."""


def sampler_weights(labels, num_classes):
    counts = torch.bincount(labels, minlength=num_classes).double()
    weights = torch.where(counts > 0, 1.0 / counts.clamp_min(1), torch.zeros_like(counts))
    return weights / weights.sum()

"""Adds eps to the standard deviation instead of the variance."""


def layer_norm(x, gamma, beta, eps):
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, unbiased=False, keepdim=True)
    return (x - mean) / (torch.sqrt(var) + eps) * gamma + beta

"""Records the spread of h @ W, before the activation."""


def activation_stds(x, weights, activation):
    act = torch.relu if activation == "relu" else torch.tanh
    h, stds = x, []
    for w in weights:
        z = h @ w
        stds.append(z.std())
        h = act(z)
    return torch.stack(stds)

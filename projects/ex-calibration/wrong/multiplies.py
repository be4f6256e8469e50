"""Fits T in logits * T instead of logits / T."""


def fit_temperature(logits, labels):
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def validation_nll():
        opt.zero_grad()
        loss = F.cross_entropy(logits * log_t.exp(), labels)
        loss.backward()
        return loss

    opt.step(validation_nll)
    return log_t.exp().item()

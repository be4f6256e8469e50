"""A GAN whose generator covers every mode of a ring of Gaussians (reference solution).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        The generator: it maps noise (N, 8), drawn from a standard normal, to points (N, 2).
        info["noise_dim"] is 8 and info["input_shape"] is [2].
    train(model, data, device, log) -> None (or the trained generator)
        data.x_train (N, 2) float32: points of the real data, 8 small Gaussians on a circle of
        radius 2 (no labels: data.y_train is None, and info does not say where the modes
        are). Build the discriminator here and train both. device is "cpu" or "cuda". log(step=..., d_loss=..., g_loss=...)
        records your curves. Leave the generator in eval mode.

The grader feeds the generator its own noise and counts the modes its samples cover and the
share of samples near a mode (`dlpath show gan-modes` lists the targets).
"""

import torch
from torch import nn
from torch.nn import functional as F

HIDDEN = 64  # units per hidden layer, in both networks (32 .. 256)
LEARNING_RATE = 0.002  # Adam step size of both networks (2e-4 .. 2e-3)
BETAS = (0.5, 0.999)  # Adam's momentum terms; 0.5 is the usual first one for GANs
R1 = 0.2  # weight of the R1 penalty on the discriminator's gradient at real points (0.05 .. 1)
STEPS = 2000  # discriminator and generator steps (one of each per step)
BATCH_SIZE = 128  # real and fake points per step
EMA = 0.995  # the generator graded is a running average of its weights over the last steps (0.99 .. 0.999)
SEED = 0  # fixes the initial weights and the noise


def build_model(info):
    torch.manual_seed(SEED)
    return nn.Sequential(  # (N, 8) noise -> (N, 2) points
        nn.Linear(info["noise_dim"], HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, info["input_shape"][0]),
    )


class Critic(nn.Module):
    """The discriminator. Beside each point it sees how spread out the whole batch is: a generator
    that sends every sample to the same mode makes a batch far less varied than a real one, and
    this feature lets the discriminator catch it (the minibatch standard deviation of ProGAN)."""

    def __init__(self, width):
        super().__init__()
        self.net = nn.Sequential(  # (B, 2 + 1) -> (B, 1) raw score: real (high) or fake (low)
            nn.Linear(width + 1, HIDDEN), nn.LeakyReLU(0.2),
            nn.Linear(HIDDEN, HIDDEN), nn.LeakyReLU(0.2),
            nn.Linear(HIDDEN, 1),
        )

    def forward(self, x):  # (B, 2)
        spread = x.std(dim=0).mean().expand(len(x), 1)  # (B, 1): the same number for the whole batch
        return self.net(torch.cat([x, spread], dim=1))


def train(model, data, device, log):
    generator = model.to(device)
    real = data.x_train.to(device)  # (N, 2)
    noise_dim = generator[0].in_features
    critic = Critic(real.shape[1]).to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=LEARNING_RATE, betas=BETAS)
    opt_d = torch.optim.Adam(critic.parameters(), lr=LEARNING_RATE, betas=BETAS)
    draws = torch.Generator().manual_seed(SEED)
    ones = torch.ones(BATCH_SIZE, 1, device=device)
    zeros = torch.zeros(BATCH_SIZE, 1, device=device)
    # A GAN's generator circles around a good answer rather than settle on it: from one step to the next
    # it chases the discriminator from mode to mode. The average of its weights over the last few hundred
    # steps is steadier than any one of them (an exponential moving average, as in ProGAN and StyleGAN);
    # it starts halfway, once the pair has found the ring.
    average = None
    generator.train()
    for step in range(STEPS):
        # The discriminator's step: real points high, fake ones low. fake.detach(): this step
        # must not move the generator.
        x = real[torch.randint(0, len(real), (BATCH_SIZE,), generator=draws).to(device)].requires_grad_(True)
        fake = generator(torch.randn(BATCH_SIZE, noise_dim, generator=draws).to(device))  # (B, 2)
        on_real = critic(x)
        d_loss = F.binary_cross_entropy_with_logits(on_real, ones) + F.binary_cross_entropy_with_logits(
            critic(fake.detach()), zeros)
        # R1: keep the discriminator flat around the real points. A steep, jagged discriminator
        # lets the generator win by piling onto a few modes; a smooth one keeps pointing it
        # towards every mode it still misses.
        slope, = torch.autograd.grad(on_real.sum(), x, create_graph=True)  # (B, 2)
        d_loss = d_loss + R1 / 2 * slope.pow(2).sum(dim=1).mean()
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        # The generator's step, with the non-saturating loss: make the discriminator say "real".
        fake = generator(torch.randn(BATCH_SIZE, noise_dim, generator=draws).to(device))
        g_loss = F.binary_cross_entropy_with_logits(critic(fake), ones)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        with torch.no_grad():
            if step == STEPS // 2:
                average = [p.detach().clone() for p in generator.parameters()]
            elif average is not None:
                for mean, p in zip(average, generator.parameters()):
                    mean.lerp_(p, 1 - EMA)
        if step % 100 == 99:
            log(step=step + 1, d_loss=d_loss.item(), g_loss=g_loss.item())
    with torch.no_grad():  # the generator graded is the average
        for mean, p in zip(average or [], generator.parameters()):
            p.copy_(mean)
    generator.eval()


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")

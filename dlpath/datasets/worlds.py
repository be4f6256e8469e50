"""Worlds for reinforcement learning: ``gridworld`` (the episodes the judge plays in ``dlpath.envs.gridworld``).

An environment's "data set" is a list of episode seeds: ``x`` holds one seed per
episode (int64, shape (n,)), ``y`` is zeros, and ``info`` holds the world's
parameters (``info["world"]``, GridWorld's keyword arguments). The world is fixed by
the parameters; the seed only decides where each episode starts and when the agent
slips, so training episodes (public seed) and the judge's (hidden seed) share it.
"""

from __future__ import annotations

from dlpath.datasets.base import BadDataset, Dataset, check_n, generator, rng


@generator("environment")
def gridworld(n: int, seed: int, *, layout: str = "decoy", slip: float = 0.1, max_steps: int = 50,
              step_reward: float = -0.01, decoy_reward: float = 0.3) -> Dataset:
    """``n`` episode seeds for a small gridworld with walls, traps, a small exit near the start and a far goal.

    ``layout`` names the map (``dlpath.envs.gridworld.LAYOUTS``: "decoy", "open"); ``slip``
    is the chance that an action is replaced by a random one; an episode ends on the goal
    (+1), a trap (-1), the small exit (+``decoy_reward``) or after ``max_steps`` steps, and
    every step adds ``step_reward``.
    """
    import torch

    from dlpath.envs.gridworld import BadWorld, GridWorld

    check_n(n)
    world = {"layout": layout, "slip": float(slip), "max_steps": int(max_steps), "step_reward": float(step_reward),
             "decoy_reward": float(decoy_reward)}
    try:
        env = GridWorld(**world)
    except BadWorld as exc:
        raise BadDataset(f"gridworld: {exc}") from None
    seeds = torch.randint(0, 2**62, (n,), generator=rng(seed), dtype=torch.int64)
    info = {"kind": "environment", "input_shape": [], "world": world, "n_states": env.n_states,
            "n_actions": env.n_actions, "rows": env.rows, "cols": env.cols}
    return Dataset(seeds, torch.zeros(n, dtype=torch.int64), info)

"""The ``gridworld`` data set: episode seeds, and the world's parameters for the judge and the learner."""

from __future__ import annotations

import pytest
import torch

from dlpath.datasets import BadDataset, generate


def test_a_world_is_a_list_of_episode_seeds_with_its_parameters():
    data = generate("gridworld", 50, 1, slip=0.2)
    assert data.x.shape == (50,) and data.x.dtype == torch.int64 and len(data) == 50
    assert data.info["world"] == {"layout": "decoy", "slip": 0.2, "max_steps": 50, "step_reward": -0.01,
                                  "decoy_reward": 0.3}
    assert (data.info["n_states"], data.info["n_actions"]) == (30, 4)
    assert torch.equal(data.x, generate("gridworld", 50, 1).x)
    assert len(set(data.x.tolist())) == 50


@pytest.mark.parametrize(("params", "words"), [({"layout": "maze"}, "unknown layout 'maze'"),
                                               ({"slip": -0.1}, "slip must be between 0 and 1"),
                                               ({"max_steps": 0}, "max_steps must be at least 1")])
def test_unusable_worlds_are_refused(params, words):
    with pytest.raises(BadDataset, match=words):
        generate("gridworld", 3, 0, **params)

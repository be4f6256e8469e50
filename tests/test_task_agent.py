"""The ``agent`` task, in one process: the judge plays the episodes itself and asks only for actions."""

from __future__ import annotations

import types

import pytest
import torch

from dlpath.envs.gridworld import best_mean_return
from dlpath.grading.tasks import JudgeContext, LearnerError, get_task
from dlpath.grading.tasks.agent import CountingWorld
from dlpath.grading.project import DatasetSpec, Threshold
from tests.taskrun import mentor, run_task

PARAMS = {"layout": "decoy", "slip": 0.1, "max_steps": 50, "step_reward": -0.01, "decoy_reward": 0.3}
GRID = dict(id="t", task="agent", lesson="reinforcement-learning", calibration=None,
            thresholds=(Threshold("mean_return", 0.6), Threshold("goal_rate", 0.8)),
            dataset=DatasetSpec("gridworld", PARAMS, 0, 0, 300))

# The best path, drawn by hand: along row 3 to the goal, away from the traps.
#   d . . . . .        > > > > v <
#   . . # . . .        ^ < # > v <
#   . . # X . .        v < # X v v
#   S . . . . G        > > > > > G
#   S . . X . .        ^ ^ ^ X > ^
FIXED = """
import torch
from torch import nn
POLICY = [1, 1, 1, 1, 2, 3,  0, 3, 0, 1, 2, 3,  2, 3, 0, 0, 2, 2,  1, 1, 1, 1, 1, 0,  0, 0, 0, 0, 1, 0]
class Table(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = nn.Parameter(nn.functional.one_hot(torch.tensor(POLICY), 4).float(), requires_grad=False)
    def forward(self, states):
        return self.q[states]
def build_model(info):
    return Table()
def train(model, env, log):
    model.q.data[:] = model.q.data.flip(0).flip(0) + 0.5  # the table is the answer; "train" only touches it
    for _ in range(5):
        env.reset()
"""

QLEARNING = """
import random
import torch
from torch import nn
EPISODES, EXPLORE = 3000, True
class Table(nn.Module):
    def __init__(self, states, actions):
        super().__init__()
        self.q = nn.Parameter(torch.zeros(states, actions), requires_grad=False)
    def forward(self, states):
        return self.q[states]
def build_model(info):
    return Table(info["n_states"], info["n_actions"])
def train(model, env, log):
    rng, q = random.Random(0), model.q.data
    for episode in range(EPISODES):
        epsilon = max(0.05, 1 - 0.95 * episode / (0.7 * EPISODES)) if EXPLORE else 0.0
        state, done = env.reset(), False
        while not done:
            action = rng.randrange(4) if rng.random() < epsilon else int(q[state].argmax())
            nxt, reward, done = env.step(action)
            target = reward if done else reward + 0.97 * float(q[nxt].max())
            q[state, action] += 0.1 * (target - q[state, action])
            state = nxt
        if episode % 500 == 499:
            log(epoch=episode // 500, epsilon=epsilon)
"""


def test_a_good_fixed_policy_earns_close_to_the_best_possible_return():
    diagnoses, got = mentor(FIXED, GRID)
    best = best_mean_return(PARAMS)
    assert got["metrics"]["mean_return"] == pytest.approx(best, abs=0.08)
    assert got["metrics"]["goal_rate"] > 0.85
    assert got["facts"].extra["best_return"] == pytest.approx(best, abs=1e-3)
    assert got["facts"].extra["policy_map"][3] == "> > > > > G"
    assert got["asked"][0] == "scores" and got["asked"][-1] == "usage" and len(got["asked"]) > 5
    assert got["facts"].chance_score < 0  # a random walk mostly ends in a trap or at the time limit
    assert diagnoses == []


def test_the_judge_sends_states_only_and_plays_the_same_episodes_for_the_same_seed():
    task, spec = get_task("agent"), types.SimpleNamespace(**GRID)
    requests = []

    def play_with(seed):
        def ask(name, values=None, tensors=None):
            requests.append((name, dict(values or {}), sorted((tensors or {}).keys())))
            if name == "usage":
                raise LearnerError("no usage here")
            return {}, {"y": torch.ones(len(tensors["states"]), 4) * torch.tensor([0.0, 1.0, 0.0, 0.0])}
        ctx = JudgeContext(project=spec, public=task.public_data(spec, 1), test=task.test_data(spec, seed), ask=ask,
                           folder=None, test_seed=seed)
        return task.judge(ctx).metrics

    assert play_with(5) == play_with(5)
    assert {(name, tuple(keys)) for name, values, keys in requests} == {("scores", ("states",)), ("usage", ())}
    assert all(not values for _, values, _ in requests)


def test_exploration_finds_the_goal_and_the_greedy_agent_settles_for_the_exit():
    diagnoses, got = mentor(QLEARNING, GRID)
    assert got["metrics"]["mean_return"] > 0.7 and diagnoses == [], got["metrics"]
    diagnoses, got = mentor(QLEARNING.replace("EXPLORE = 3000, True", "EXPLORE = 3000, False"), GRID)
    assert got["facts"].extra["exit_rate"] > 0.9 and got["metrics"]["goal_rate"] == 0.0
    assert diagnoses[0].code == "no-exploration" and diagnoses[0].lesson == "reinforcement-learning"
    assert "epsilon-greedy" in diagnoses[0].message and "During training it played 3,000 episodes" in diagnoses[0].message


def test_an_agent_that_never_updates_is_told_where_learning_happens():
    diagnoses, got = mentor(QLEARNING.replace("q[state, action] += 0.1", "0 * 0.1"), GRID)
    assert got["facts"].extra["only_action"] == "up"
    assert diagnoses[0].code == "policy-not-learned"
    assert {d.code for d in diagnoses}.isdisjoint({"no-learning", "no-exploration", "below-threshold"})


def test_a_policy_set_by_hand_passes_with_a_warning_that_nothing_was_learned():
    diagnoses, got = mentor(FIXED.replace("model.q.data[:] = model.q.data.flip(0).flip(0) + 0.5", "pass"), GRID)
    assert got["metrics"]["mean_return"] > 0.6
    assert [(d.code, d.severity) for d in diagnoses] == [("policy-not-learned", "warning")]


@pytest.mark.parametrize(("policy", "code", "words"), [
    ([1] * 18 + [2] + [1] * 11, "falls-into-traps", "end in a trap"),  # down to row 4, then right into the trap
    ([3] * 29 + [0], "wanders", "end at the time limit"),  # left, into the edge, until the time runs out
])
def test_a_policy_that_ends_badly_is_told_how(policy, code, words):
    source = FIXED.replace("POLICY = [1, 1, 1, 1, 2, 3,", f"POLICY = {policy}  # ").replace(
        "0, 3, 0, 1, 2, 3,  2, 3, 0, 0, 2, 2,  1, 1, 1, 1, 1, 0,  0, 0, 0, 0, 1, 0]", "")
    diagnoses, got = mentor(source, GRID)
    assert diagnoses[0].code == code and words in diagnoses[0].message, (got["facts"].extra, diagnoses)


def test_scores_of_the_wrong_shape_are_a_wrong_output():
    diagnoses, got = mentor(FIXED.replace("return self.q[states]", "return self.q[states][:, :2]"), GRID)
    assert "expected (30, 4) float" in got["facts"].output_problem and got["metrics"]["mean_return"] == -1.0
    assert diagnoses[0].code == "wrong-output"


def test_the_learners_world_counts_what_the_agent_did():
    env = CountingWorld(**PARAMS, seed=3)
    state = env.reset()
    done = False
    while not done:
        state, _, done = env.step(0)
    usage = env.usage()
    assert usage["episodes"] == 1 and usage["open_cells"] == 28 and 1 <= usage["visited"] <= 28
    assert usage["exits"] + usage["traps"] + usage["goals"] <= 1


def test_train_must_return_a_model_or_nothing():
    from dlpath.grading.tasks import ContractError

    with pytest.raises(ContractError, match="returned a dict"):
        run_task(FIXED.replace("        env.reset()\n", "        env.reset()\n    return {}\n"), GRID)


PLANNER = """
import torch
from torch import nn
class Table(nn.Module):
    def __init__(self, states, actions):
        super().__init__()
        self.q = nn.Parameter(torch.zeros(states, actions), requires_grad=False)
    def forward(self, states):
        return self.q[states]
def build_model(info):
    return Table(info["n_states"], info["n_actions"])
def train(model, env, log):
    v = [0.0] * env.n_states
    for _ in range(100):  # value iteration on the world's own rules: no episode played
        for s in range(env.n_states):
            for a in range(env.n_actions):
                nxt, r, done = env.move(s, a)
                model.q.data[s, a] = r + (0.0 if done else 0.97 * v[nxt])
            v[s] = float(model.q.data[s].max())
"""


def test_train_gets_an_environment_without_its_rules():
    """A red-team train() planned the policy by value iteration on env.move, env.slip and env.grid, played no
    episode and passed; the environment train() gets has reset, step, render and the sizes only."""
    from dlpath.envs.gridworld import GridWorld
    from dlpath.grading.tasks.agent import World

    env = World(GridWorld(**PARAMS, seed=1))
    state = env.reset()
    assert isinstance(state, int) and len(env.step(1)) == 3 and "S" in env.render()
    assert (env.n_states, env.n_actions, env.rows, env.cols) == (30, 4, 5, 6)
    for name in ("move", "slip", "grid", "cell", "starts", "open_cells", "state_of", "rng", "world"):
        with pytest.raises(AttributeError, match="learns from the episodes it plays"):
            getattr(env, name)
    with pytest.raises(AttributeError):
        env.slip = 0.0
    got = run_task(PLANNER, GRID)
    assert got["failure"] is not None and "has no 'move'" in got["failure"].message


def test_a_q_learning_agent_only_needs_reset_and_step():
    got = run_task(QLEARNING, GRID)
    assert got["failure"] is None and got["metrics"]["mean_return"] > 0.6

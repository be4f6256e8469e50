"""A gridworld agent that finds the goal behind the wall (reference solution: Q-learning, epsilon-greedy).

Grade it from this folder with:

    dlpath check

The contract (the grader calls these two functions; keep their names and arguments):

    build_model(info) -> torch.nn.Module
        info["n_states"] is 30 (a state is a cell: row * 6 + col) and info["n_actions"] is 4
        (0 up, 1 right, 2 down, 3 left). The model maps a batch of states (N,) int64 to one
        score per action (N, 4): here the Q-values. The grader plays the highest-scored action.
    train(model, env, log) -> None (or the trained model)
        env.reset() -> state; env.step(action) -> (state, reward, done). print(env.render())
        draws the world, env.render(policy=actions) a policy. log(epoch=..., mean_return=...)
        records your learning curves (an epoch here is a block of episodes).

The grade: the mean return of fresh episodes the grader plays with your model, from its
own seeds, inside the 60 s budget (`dlpath show gridworld-agent` lists the exact targets).
"""

import random

import torch
from torch import nn

EPISODES = 3000  # training episodes (500 .. 20000)
LEARNING_RATE = 0.1  # how far one update moves a Q-value towards its target (0.01 .. 1)
GAMMA = 0.97  # what a reward one step later is worth (0.9 .. 0.999)
EPSILON_START, EPSILON_END = 1.0, 0.05  # chance of a random action, decaying over the episodes
BLOCK = 250  # episodes per logged point
SEED = 0  # fixes the random actions


class QTable(nn.Module):
    """One row of action values per state: Q[state, action] = the return expected after that action."""

    def __init__(self, n_states, n_actions):
        super().__init__()
        self.q = nn.Parameter(torch.zeros(n_states, n_actions), requires_grad=False)  # (S, A)

    def forward(self, states):  # (N,) int64
        return self.q[states]  # (N, A): the grader plays the argmax


def build_model(info):
    return QTable(info["n_states"], info["n_actions"])


def train(model, env, log):
    rng = random.Random(SEED)
    q = model.q.data  # (S, A), updated in place: no gradients in tabular Q-learning
    returns = []
    for episode in range(EPISODES):
        # Explore a lot at first, then less and less: the goal is found early, then exploited.
        epsilon = max(EPSILON_END, EPSILON_START - (EPSILON_START - EPSILON_END) * episode / (0.7 * EPISODES))
        state, done, total = env.reset(), False, 0.0
        while not done:
            if rng.random() < epsilon:
                action = rng.randrange(4)
            else:
                action = int(q[state].argmax())
            next_state, reward, done = env.step(action)
            # The Bellman target: the reward now, plus the discounted best value of where we landed
            # (nothing more when the episode ended there).
            target = reward if done else reward + GAMMA * float(q[next_state].max())
            q[state, action] += LEARNING_RATE * (target - q[state, action])
            state, total = next_state, total + reward
        returns.append(total)
        if (episode + 1) % BLOCK == 0:
            log(epoch=(episode + 1) // BLOCK, mean_return=sum(returns[-BLOCK:]) / BLOCK, epsilon=epsilon)
    print(env.render(policy=q.argmax(dim=1).tolist()))


if __name__ == "__main__":  # `python train.py` would train nothing: dlpath calls the functions above
    print("dlpath runs this file: `dlpath run` in this folder trains it, `dlpath check` grades it.")

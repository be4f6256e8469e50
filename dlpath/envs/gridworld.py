"""A small gridworld with walls, traps, a small exit and a goal: the world of the `agent` task kind.

    d . . . . .        S  start cells (an episode starts on one of them, at random)
    . . # . . .        .  floor; #  wall (bumping into it, or the edge, leaves the agent in place)
    . . # X . .        d  a small exit: +decoy_reward, the episode ends
    S . . . . G        X  a trap: -1, the episode ends
    S . . X . .        G  the goal: +1, the episode ends

Every step costs ``step_reward`` (a small negative number); with probability
``slip`` the agent's action is replaced by a random one; an episode ends at a
terminal cell or after ``max_steps`` steps. A state is the agent's cell as one
number, ``row * cols + col``; actions are 0 up, 1 right, 2 down, 3 left.

The exit above the start pays little, the goal across the floor pays more: an
agent that only exploits what it found first settles for the exit.

``GridWorld`` is what the learner trains with (``reset``, ``step``, ``render``);
``play`` runs many episodes in lockstep from their own seeds, asking a policy for
the actions of all running episodes at once (the judge uses it);
``best_mean_return`` computes the expected return of the optimal policy exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Sequence

__all__ = ["LAYOUTS", "ACTIONS", "GridWorld", "Episode", "play", "best_mean_return", "BadWorld"]

LAYOUTS: dict[str, tuple[str, ...]] = {
    "decoy": (
        "d.....",
        "..#...",
        "..#X..",
        "S....G",
        "S..X..",
    ),
}
ACTIONS = ("up", "right", "down", "left")
ARROWS = ("^", ">", "v", "<")
_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))
GOAL_REWARD, TRAP_REWARD = 1.0, -1.0


class BadWorld(ValueError):
    """A gridworld's parameters are not usable (an unknown layout, a slip outside [0, 1], ...)."""


@dataclass
class Episode:
    """How one episode went."""

    seed: int
    total: float = 0.0  #: the return: the sum of the rewards
    steps: int = 0
    outcome: str = "timeout"  #: "goal", "exit" (the small one), "trap" or "timeout"


class GridWorld:
    """The gridworld; ``reset()`` -> state, ``step(action)`` -> (state, reward, done)."""

    def __init__(self, layout: str = "decoy", *, slip: float = 0.1, max_steps: int = 50,
                 step_reward: float = -0.01, decoy_reward: float = 0.3, seed: int = 0) -> None:
        if layout not in LAYOUTS:
            raise BadWorld(f"unknown layout {layout!r}; known: {', '.join(sorted(LAYOUTS))}")
        if not 0.0 <= slip <= 1.0:
            raise BadWorld(f"slip must be between 0 and 1, not {slip!r}")
        if max_steps < 1:
            raise BadWorld(f"max_steps must be at least 1, not {max_steps!r}")
        self.layout = layout
        self.grid = LAYOUTS[layout]
        self.rows, self.cols = len(self.grid), len(self.grid[0])
        if any(len(row) != self.cols for row in self.grid) or not "".join(self.grid).count("S"):
            raise BadWorld(f"layout {layout!r} is not a rectangle with a start cell")
        self.slip, self.max_steps = float(slip), int(max_steps)
        self.step_reward, self.decoy_reward = float(step_reward), float(decoy_reward)
        self.n_states, self.n_actions = self.rows * self.cols, len(ACTIONS)
        self.starts = [self.state_of(r, c) for r in range(self.rows) for c in range(self.cols)
                       if self.grid[r][c] == "S"]
        self.open_cells = [self.state_of(r, c) for r in range(self.rows) for c in range(self.cols)
                           if self.grid[r][c] != "#"]
        self.rng = random.Random(seed)
        self.state: int | None = None
        self.steps = 0

    # -- the learner's interface
    def reset(self) -> int:
        """Start a new episode on a random start cell; its state."""
        self.state = self.rng.choice(self.starts)
        self.steps = 0
        return self.state

    def step(self, action: int) -> tuple[int, float, bool]:
        """Take ``action`` (0 up, 1 right, 2 down, 3 left): (next state, reward, episode over)."""
        if self.state is None:
            raise RuntimeError("call env.reset() before env.step(action), and again after an episode ends")
        action = _action(action, self.n_actions)
        if self.rng.random() < self.slip:
            action = self.rng.randrange(self.n_actions)
        self.state, reward, done = self.move(self.state, action)
        self.steps += 1
        if self.steps >= self.max_steps:
            done = True
        state = self.state
        if done:
            self.state = None
        return state, reward, done

    def render(self, policy: Sequence[int] | None = None, state: int | None = None) -> str:
        """The world as text; with ``policy`` (an action per state) the open cells show arrows;
        with ``state``, an A marks the agent."""
        lines = []
        for r in range(self.rows):
            cells = []
            for c in range(self.cols):
                s, mark = self.state_of(r, c), self.grid[r][c]
                if state == s:
                    mark = "A"
                elif policy is not None and mark in ".S":
                    mark = ARROWS[_action(policy[s], self.n_actions)]
                cells.append(mark)
            lines.append(" ".join(cells))
        return "\n".join(lines)

    # -- the world's rules
    def state_of(self, row: int, col: int) -> int:
        return row * self.cols + col

    def position(self, state: int) -> tuple[int, int]:
        """(row, col) of a state."""
        return divmod(int(state), self.cols)

    def cell(self, state: int) -> str:
        row, col = self.position(state)
        return self.grid[row][col]

    def move(self, state: int, action: int) -> tuple[int, float, bool]:
        """The deterministic effect of ``action`` in ``state`` (no slip, no time limit)."""
        row, col = self.position(state)
        dr, dc = _MOVES[action]
        r, c = row + dr, col + dc
        if 0 <= r < self.rows and 0 <= c < self.cols and self.grid[r][c] != "#":
            row, col = r, c
        nxt = self.state_of(row, col)
        mark = self.grid[row][col]
        if mark == "G":
            return nxt, self.step_reward + GOAL_REWARD, True
        if mark == "d":
            return nxt, self.step_reward + self.decoy_reward, True
        if mark == "X":
            return nxt, self.step_reward + TRAP_REWARD, True
        return nxt, self.step_reward, False

    def outcome(self, state: int) -> str:
        return {"G": "goal", "d": "exit", "X": "trap"}.get(self.cell(state), "timeout")


def _action(action: object, n: int) -> int:
    try:
        value = int(action)  # type: ignore[call-overload]  (a tensor with one element works too)
    except (TypeError, ValueError):
        raise ValueError(f"an action must be a whole number 0..{n - 1}, not {action!r}") from None
    if not 0 <= value < n:
        raise ValueError(f"an action must be a whole number 0..{n - 1}, not {value}")
    return value


def play(world: dict, seeds: Sequence[int], policy: Callable[[list[int]], Sequence[int]]) -> list[Episode]:
    """Play one episode per seed, in lockstep: at every step ``policy(states)`` gets the states of the
    episodes still running and returns one action each. ``world`` holds GridWorld's keyword arguments."""
    envs = [GridWorld(**world, seed=int(seed)) for seed in seeds]
    episodes = [Episode(int(seed)) for seed in seeds]
    states = [env.reset() for env in envs]
    running = list(range(len(envs)))
    while running:
        actions = list(policy([states[i] for i in running]))
        if len(actions) != len(running):
            raise ValueError(f"the policy gave {len(actions)} actions for {len(running)} states")
        still = []
        for i, action in zip(running, actions):
            state, reward, done = envs[i].step(action)
            episodes[i].total += reward
            episodes[i].steps += 1
            states[i] = state
            if done:
                episodes[i].outcome = envs[i].outcome(state)
            else:
                still.append(i)
        running = still
    return episodes


def best_mean_return(world: dict) -> float:
    """The expected return of the best possible policy, from a random start cell (exact dynamic programming
    over the steps left, slip and time limit included)."""
    env = GridWorld(**world)
    value = [0.0] * env.n_states  # with 0 steps left
    for _ in range(env.max_steps):
        new = [0.0] * env.n_states
        for s in env.open_cells:
            if env.cell(s) in "GdX":
                continue
            best = None
            for a in range(env.n_actions):
                total = 0.0
                for b in range(env.n_actions):  # the action that really happens
                    p = (1.0 - env.slip) * (a == b) + env.slip / env.n_actions
                    nxt, reward, done = env.move(s, b)
                    total += p * (reward + (0.0 if done else value[nxt]))
                best = total if best is None else max(best, total)
            new[s] = best or 0.0
        value = new
    return sum(value[s] for s in env.starts) / len(env.starts)

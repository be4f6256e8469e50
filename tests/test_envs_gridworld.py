"""The gridworld's rules, checked cell by cell, and its episodes replayed from their seeds."""

from __future__ import annotations

import pytest

from dlpath.envs.gridworld import GOAL_REWARD, TRAP_REWARD, GridWorld, best_mean_return, play

UP, RIGHT, DOWN, LEFT = range(4)
WORLD = {"layout": "decoy", "slip": 0.1, "max_steps": 50, "step_reward": -0.01, "decoy_reward": 0.3}


def test_the_map_and_its_numbers():
    env = GridWorld()
    assert env.render() == "\n".join(["d . . . . .", ". . # . . .", ". . # X . .", "S . . . . G", "S . . X . ."])
    assert (env.rows, env.cols, env.n_states, env.n_actions) == (5, 6, 30, 4)
    assert env.starts == [18, 24] and env.position(17) == (2, 5) and env.state_of(3, 5) == 23


def test_walls_and_edges_leave_the_agent_in_place_and_each_step_costs():
    env = GridWorld(slip=0.0)
    assert env.move(env.state_of(1, 1), RIGHT) == (env.state_of(1, 1), -0.01, False)  # a wall at (1, 2)
    assert env.move(env.state_of(4, 0), DOWN) == (env.state_of(4, 0), -0.01, False)  # the edge
    assert env.move(env.state_of(3, 0), RIGHT) == (env.state_of(3, 1), -0.01, False)


@pytest.mark.parametrize(("row", "col", "action", "reward", "outcome"), [
    (1, 0, UP, -0.01 + 0.3, "exit"), (3, 4, RIGHT, -0.01 + GOAL_REWARD, "goal"), (3, 3, UP, -0.01 + TRAP_REWARD, "trap")])
def test_terminal_cells_pay_and_end_the_episode(row, col, action, reward, outcome):
    env = GridWorld(slip=0.0)
    state, got, done = env.move(env.state_of(row, col), action)
    assert done and got == pytest.approx(reward) and env.outcome(state) == outcome


def test_an_episode_ends_at_the_time_limit_and_must_be_reset():
    env = GridWorld(slip=0.0, max_steps=3, seed=1)
    env.reset()
    assert [env.step(LEFT)[2] for _ in range(3)] == [False, False, True]
    with pytest.raises(RuntimeError, match="call env.reset"):
        env.step(LEFT)
    env.reset()
    with pytest.raises(ValueError, match="a whole number 0..3"):
        env.step(4)


def test_the_same_seed_replays_the_same_slips_and_starts():
    def run(seed):
        env = GridWorld(slip=0.5, seed=seed)
        out = [env.reset()]
        for _ in range(20):
            state, _, done = env.step(RIGHT)
            out.append(state)
            if done:
                out.append(env.reset())
        return out

    assert run(3) == run(3) and run(3) != run(4)


def test_play_in_lockstep_gives_each_episode_what_it_would_get_alone():
    seeds = [11, 12, 13, 14, 15]
    policy = [RIGHT] * 30
    together = play(WORLD, seeds, lambda states: [policy[s] for s in states])
    for seed, episode in zip(seeds, together):
        env, total, done = GridWorld(**WORLD, seed=seed), 0.0, False
        env.reset()
        while not done:
            _, reward, done = env.step(RIGHT)
            total += reward
        assert episode.total == pytest.approx(total)
    with pytest.raises(ValueError, match="gave 0 actions for 5 states"):
        play(WORLD, seeds, lambda states: [])


def test_the_best_return_is_the_shortest_path_without_slip_and_less_with_it():
    # From (3, 0) and (4, 0) the goal is 5 and 6 steps away (the trap at (4, 3) is avoided by going up first).
    exact = best_mean_return(dict(WORLD, slip=0.0))
    assert exact == pytest.approx(((1 - 0.05) + (1 - 0.06)) / 2)
    assert 0.8 < best_mean_return(WORLD) < exact


def test_a_policy_is_drawn_with_arrows():
    env = GridWorld()
    assert env.render(policy=[RIGHT] * env.n_states).splitlines()[3] == "> > > > > G"
    assert env.render(state=18).splitlines()[3] == "A . . . . G"

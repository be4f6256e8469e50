"""``agent``: a reinforcement-learning agent in a gridworld (``dlpath.envs.gridworld``), judged on fresh episodes.

The learner process trains the learner's model on its own copy of the world (seeded
from the public seed; the task counts what the agent visits, for the mentor). The
judge then plays fresh episodes from the hidden seed itself: at every step it sends
the learner process the states of the episodes still running (observations only) and
plays, in each, the action the model scores highest. The return of every episode is
computed by the judge's own copy of the world; the learner process never sees a reward
after training.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Mapping

from dlpath.envs.gridworld import GridWorld
from dlpath.grading.diagnose import CodeInfo
from dlpath.grading.tasks import Evaluation, JudgeContext, LearnerError, LearnerSide, Metric, SplitData, Task

_LESSON = "reinforcement-learning"


def _share(run: Any, key: str) -> float:
    """A share the judge measured (0 when the run failed before it could)."""
    if run.failure is not None:
        return 0.0
    value = (run.facts.extra or {}).get(key)
    return float(value) if isinstance(value, (int, float)) else 0.0


def _map_evidence(run: Any) -> list[str]:
    rows = (run.facts.extra or {}).get("policy_map")
    return [f"your policy: {' | '.join(rows)}"] if isinstance(rows, list) and rows else []


def _training_evidence(run: Any) -> tuple[list[str], str]:
    """What the agent did while it trained (counted in the learner process: advice only)."""
    extra = run.facts.extra or {}
    visited, cells, goals = extra.get("train_visited"), extra.get("train_open_cells"), extra.get("train_goals")
    episodes = extra.get("train_episodes")
    if not all(isinstance(v, (int, float)) for v in (visited, cells, goals, episodes)):
        return [], ""
    times = "once" if int(goals) == 1 else f"{int(goals):,} times"
    text = (f" During training it played {int(episodes):,} episodes, visited {int(visited)} of the {int(cells)} open "
            f"cells and reached the goal {times}.")
    return [f"training: {int(episodes):,} episodes, {int(visited)}/{int(cells)} cells visited, "
            f"{int(goals):,} goals"], text


def _not_learned(run: Any) -> list[Any]:
    """The model's scores never changed, or it plays one action everywhere."""
    from dlpath.grading.diagnose import make

    if run.failure is not None:
        return []
    extra = run.facts.extra or {}
    used = extra.get("actions_used")
    frozen = run.observation.parameters_changed is False  # seen by `dlpath run` too: no judge needed
    if not frozen and (used != 1 or not run.failed()):
        return []
    if run.thresholds and not run.failed():  # a pass with a policy set by hand (a warning, said once)
        return [make("policy-not-learned", """Your agent passes, but train(model, env, log) never changed its
            scores: the policy was written into the model, not learned from reward. The project is about the
            learning: start from a table of zeros and let the updates after each env.step fill it in.""",
                     evidence=["every weight identical before and after training"], codes=AgentTask.codes)]
    action = extra.get("only_action")
    what = (f"it plays '{action}' in every cell" if isinstance(action, str) and used == 1
            else "its scores are exactly as build_model made them")
    evidence = ["every weight identical before and after training"] if run.observation.parameters_changed is False \
        else [f"the same action ('{action}') in every open cell"]
    return [make("policy-not-learned", f"""Your agent has not learned anything: {what}. A table of zeros scores
        every action the same, so the highest score is always the first action. Learning happens in the update
        after each env.step: move Q[state, action] towards reward + GAMMA * max(Q[next_state]) (just the reward
        when the episode ended), by a fraction LEARNING_RATE of the difference, and write the new value into the
        model's own table (model.q.data[state, action] += ...), not into a copy of it.""", evidence=evidence + _map_evidence(run),
                 causes=("the update of the Q-table is missing", "the update writes into a copy, not the model"),
                 codes=AgentTask.codes)]


def _no_exploration(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    exits = _share(run, "exit_rate")
    if not run.failed() or exits < 0.4:
        return []
    evidence, trained = _training_evidence(run)
    return [make("no-exploration", f"""Your agent ends {_pct(exits)} of the episodes at the small exit near the
        start (worth {_fmt_reward(run)}) instead of going on to the goal (+1).{trained} It settled for the first reward
        it found: once the exit's value is above the zeros of everything untried, a greedy agent goes there every
        time and never learns what lies further. Explore: with probability EPSILON take a random action instead of
        the best one (epsilon-greedy), starting at 1.0 and decaying to about 0.05 over the episodes, so that the
        agent stumbles on the goal early and its value can spread back to the start.""",
                 evidence=[f"episodes ending at the small exit: {_pct(exits)}"] + evidence + _map_evidence(run),
                 causes=("no exploration (always the best-looking action)", "epsilon decayed to 0 too fast"),
                 codes=AgentTask.codes)]


def _fmt_reward(run: Any) -> str:
    value = (run.facts.extra or {}).get("exit_reward")
    return f"+{value:g}" if isinstance(value, (int, float)) else "a little"


def _traps(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    traps = _share(run, "trap_rate")
    if not run.failed() or traps < 0.15:
        return []
    return [make("falls-into-traps", f"""{_pct(traps)} of your agent's episodes end in a trap (-1). The floor is
        slippery: now and then an action is replaced by a random one, so the path that is shortest on the map is
        not the safest. An agent that learned from enough episodes keeps a cell away from the traps where it can.
        Train for more episodes, with a GAMMA close to 1 (0.95 .. 0.99) so that the goal is worth the detour, and
        check that a trap ends the update with the reward alone (no value of a next state).""",
                 evidence=[f"episodes ending in a trap: {_pct(traps)}"] + _map_evidence(run),
                 causes=("too few training episodes", "the value of the state after a trap used in the update"),
                 codes=AgentTask.codes)]


def _wanders(run: Any) -> list[Any]:
    from dlpath.grading.diagnose import _pct, make

    timeouts = _share(run, "timeout_rate")
    if not run.failed() or timeouts < 0.3:
        return []
    evidence, trained = _training_evidence(run)
    return [make("wanders", f"""{_pct(timeouts)} of your agent's episodes end at the time limit: it walks in
        circles or into a wall, in cells whose values it never learned.{trained} Train on more episodes, explore
        (epsilon-greedy) so that every cell is visited, and check that the update uses the next state's best value
        (max over its actions), so that the goal's reward spreads back along the path.""",
                 evidence=[f"episodes ending at the time limit: {_pct(timeouts)}"] + evidence + _map_evidence(run),
                 causes=("too few training episodes", "cells never visited in training"), codes=AgentTask.codes)]


class AgentTask(Task):
    kind = "agent"
    summary = "A reinforcement-learning agent in a gridworld: build_model(info) + train(model, env, log)."
    contract = """\
build_model(info) -> torch.nn.Module
    info["n_states"] states and info["n_actions"] actions (0 up, 1 right, 2 down, 3 left).
    The model maps a batch of states (N,) int64 to one score per action (N, n_actions):
    Q-values, or a policy's logits. In every state the grader plays the highest-scored action.
train(model, env, log) -> None (or the trained model)
    env.reset() -> state; env.step(action) -> (state, reward, done); print(env.render()) draws
    the world, env.render(policy=actions) your policy. log(epoch=..., mean_return=...) records
    your learning curves (an epoch: a block of episodes).
The grader then plays fresh episodes from its own seeds and measures the mean return."""
    contract_lines = ("build_model(info) -> torch.nn.Module", "train(model, env, log)")
    dataset_kinds = ("environment",)
    metrics = (
        Metric("mean_return", "max", "return",
               "mean return (sum of rewards) of fresh episodes the judge plays, from start cells and slips drawn "
               "from the hidden seed, with the action the model scores highest in each state"),
        Metric("goal_rate", "max", "fraction", "share of those episodes that end at the goal"),
    )
    primary = "mean_return"
    hand_written_updates = True  # tabular updates need no optimizer
    codes = {"policy-not-learned": CodeInfo(_LESSON), "no-exploration": CodeInfo(_LESSON),
             "falls-into-traps": CodeInfo(_LESSON), "wanders": CodeInfo(_LESSON)}
    rules = (_not_learned, _no_exploration, _traps, _wanders)
    _GENERIC = {"no-learning", "underfitting", "plateau", "below-threshold"}
    exclusive = {"policy-not-learned": _GENERIC | {"no-exploration", "wanders", "falls-into-traps"},
                 "no-exploration": _GENERIC | {"wanders"}, "falls-into-traps": _GENERIC, "wanders": _GENERIC}

    # -- both sides
    def public_data(self, project: Any, seed: int, world: int | None = None) -> SplitData:
        """No data to hand over: the world's parameters, and the public seed of the learner's copy of it."""
        from dlpath.datasets import draw

        info = dict(draw(project.dataset, seed, ("train",), world=world)["train"].info, seed=int(seed))
        return SplitData(None, None, None, None, info)

    # -- the learner process
    def train(self, side: LearnerSide, data: SplitData) -> Any:
        import torch.nn as nn

        from dlpath.grading.tasks import ContractError
        from dlpath.grading.tasks._model import function

        build_model = function(side.module, "build_model", ("info",))
        train = function(side.module, "train", ("model", "env", "log"))
        info = {k: data.info[k] for k in ("n_states", "n_actions", "rows", "cols")}
        model = build_model(dict(info))
        if not isinstance(model, nn.Module):
            raise ContractError(f"build_model(info) returned a {type(model).__name__}; it must return a "
                                "torch.nn.Module (a Q-table as an nn.Parameter inside one, say).")
        env = CountingWorld(**data.info["world"], seed=int(data.info["seed"]))
        side.watch.attach(model)
        with side.watch.training():
            result = train(model, World(env), side.log)
        if result is not None and not isinstance(result, nn.Module):
            raise ContractError(f"train(model, env, log) returned a {type(result).__name__}; return nothing (the "
                                "model you were given is used) or the trained torch.nn.Module.")
        trained = model if result is None else result
        side.watch.finish(trained)
        return _Trained(trained, env)

    def answer(self, name: str, values: Mapping[str, Any], tensors: Mapping[str, Any],
               side: LearnerSide) -> tuple[dict[str, Any], dict[str, Any]]:
        import torch

        from dlpath.grading.tasks._model import run_model, short

        state: _Trained = side.state
        if name == "scores":
            states = tensors.get("states")
            if not isinstance(states, torch.Tensor):
                raise LearnerError("the request carries no states")
            try:
                return {}, {"y": run_model(state.model, states.long(), side.device)}
            except Exception as exc:  # noqa: BLE001 - the learner's forward pass
                raise LearnerError(short(exc)) from None
        if name == "usage":
            return state.env.usage(), {}
        raise LearnerError(f"unknown request {name!r}")

    # -- the judge
    def judge(self, ctx: JudgeContext) -> Evaluation:
        import torch

        from dlpath.envs.gridworld import ACTIONS, best_mean_return, play
        from dlpath.grading.facts import Facts
        from dlpath.grading.tasks._model import shape_text

        test = ctx.test
        world = dict(test.info["world"])
        env = GridWorld(**world)
        seeds = [int(s) for s in test.x.tolist()]
        worst = {"mean_return": -1.0, "goal_rate": 0.0}
        facts: dict[str, Any] = {"primary": self.primary, "expected_output": shape_text((env.n_states, env.n_actions))}
        extra: dict[str, Any] = {"best_return": round(best_mean_return(world), 4), "exit_reward": env.decoy_reward}
        facts["extra"] = extra
        random_play = play(world, seeds, _random_policy(ctx.test_seed, env.n_actions))
        facts["chance_score"] = sum(e.total for e in random_play) / max(len(random_play), 1)

        def scores(states: list[int]) -> torch.Tensor:
            _, got = ctx.ask("scores", tensors={"states": torch.tensor(states, dtype=torch.int64)})
            out = got.get("y")
            if not isinstance(out, torch.Tensor):
                raise LearnerError("the model's scores did not come back")
            if out.dim() != 2 or out.shape[0] != len(states) or out.shape[1] != env.n_actions \
                    or not out.is_floating_point():
                raise _BadOutput(shape_text(out.shape, str(out.dtype).replace("torch.", "")), len(states))
            return out.float()

        try:
            table = scores(list(range(env.n_states)))
            if not bool(torch.isfinite(table).all()):
                facts["outputs_finite"] = False
                return Evaluation(worst, Facts(**facts))
            facts["outputs_finite"] = True
            greedy = table.argmax(dim=1).tolist()
            inner = [s for s in env.open_cells if env.cell(s) in ".S"]
            used = sorted({greedy[s] for s in inner})
            extra["actions_used"] = len(used)
            if len(used) == 1:
                extra["only_action"] = ACTIONS[used[0]]
            extra["policy_map"] = env.render(policy=greedy).split("\n")
            episodes = play(world, seeds, lambda states: scores(states).argmax(dim=1).tolist())
        except _BadOutput as exc:
            facts["got_output"] = exc.got
            facts["output_problem"] = (f"your model's scores have shape {exc.got} for {exc.n} states; the grader "
                                       f"expected ({exc.n}, {env.n_actions}) float: one score per action")
            return Evaluation(worst, Facts(**facts))
        except LearnerError as exc:
            facts["forward_error"] = str(exc)
            return Evaluation(worst, Facts(**facts))
        facts["got_output"] = facts["expected_output"]
        outcomes = Counter(e.outcome for e in episodes)
        n = max(len(episodes), 1)
        metrics = {"mean_return": sum(e.total for e in episodes) / n, "goal_rate": outcomes["goal"] / n}
        extra.update({f"{k}_rate": outcomes[k] / n for k in ("exit", "trap", "timeout")})
        extra["mean_steps"] = sum(e.steps for e in episodes) / n
        try:
            usage, _ = ctx.ask("usage")
            for key in ("episodes", "visited", "open_cells", "goals", "exits", "traps"):
                value = usage.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                    extra[f"train_{key}"] = value
        except LearnerError:
            pass
        return Evaluation(metrics, Facts(**facts))


class _BadOutput(Exception):
    def __init__(self, got: str, n: int) -> None:
        super().__init__(got)
        self.got, self.n = got, n


def _random_policy(seed: int, actions: int) -> Any:
    import random

    rng = random.Random(int(seed) + 5)
    return lambda states: [rng.randrange(actions) for _ in states]


class _Trained:
    def __init__(self, model: Any, env: Any) -> None:
        self.model, self.env = model, env


class World:
    """The environment ``train`` gets, as a learner in the real world has one: ``reset()``, ``step(action)``,
    ``render()`` and the sizes. The rules that make the world (where each move leads, how often the floor slips,
    which cell holds what) stay inside, so a policy has to be learned from the episodes played, not planned from
    the rules (a red-team ``train`` ran value iteration on ``env.move`` and ``env.slip`` and never played)."""

    __slots__ = ("reset", "step", "render", "n_states", "n_actions", "rows", "cols")

    def __init__(self, world: GridWorld) -> None:
        def reset() -> int:
            """Start a new episode on a random start cell; its state."""
            return world.reset()

        def step(action: int) -> tuple[int, float, bool]:
            """Take ``action`` (0 up, 1 right, 2 down, 3 left): (next state, reward, episode over)."""
            return world.step(action)

        def render(policy: Any = None, state: int | None = None) -> str:
            """The world as text; with ``policy`` (an action per state) arrows, with ``state`` an A for the agent."""
            return world.render(policy=policy, state=state)

        for name, value in (("reset", reset), ("step", step), ("render", render), ("n_states", world.n_states),
                            ("n_actions", world.n_actions), ("rows", world.rows), ("cols", world.cols)):
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"the environment has no {name!r}: train(model, env, log) gets env.reset(), env.step(action), "
            "env.render() and the sizes (n_states, n_actions, rows, cols), as an agent in the real world does. The "
            "world's rules (where a move leads, how often the floor slips) are what the agent learns from the "
            "episodes it plays.")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the environment cannot be changed")

    def __repr__(self) -> str:
        return f"<gridworld: {self.rows} x {self.cols}, {self.n_actions} actions; reset(), step(action), render()>"


class CountingWorld(GridWorld):
    """The learner's world, counting what the agent does (for the mentor's advice only)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.visits: set[int] = set()
        self.endings: Counter = Counter()
        self.episodes = 0

    def reset(self) -> int:
        state = super().reset()
        self.episodes += 1
        self.visits.add(state)
        return state

    def step(self, action: int) -> tuple[int, float, bool]:
        state, reward, done = super().step(action)
        self.visits.add(state)
        if done:
            self.endings[self.outcome(state)] += 1
        return state, reward, done

    def usage(self) -> dict[str, int]:
        return {"episodes": self.episodes, "visited": len(self.visits), "open_cells": len(self.open_cells),
                "goals": self.endings["goal"], "exits": self.endings["exit"], "traps": self.endings["trap"]}

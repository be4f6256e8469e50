"""Label oracles (tests/fixtures/attacks/oracles/): a train.py that reaches dlpath's data generator (already
imported in its process, `import dlpath.datasets`, or a copy of the package found on disk and loaded by its
path) and trains on thousands of extra labelled rows of the project's world. Before the defence, each of
these passed its project, where the same code on the project's own data fails (the numbers are in
tests/fixtures/attacks/README.md).

The design's answer has two parts, and each test checks the part it is about:
- the learner's process receives its training data from the judge and never holds the generator: in the
  sandbox, no route finds it (the attack prints which route it tried and what each found);
- the world a grade draws from is secret (a world seed drawn per grade, held by the judge): where the
  generator can be reached all the same (no sandbox, or a copy of dlpath's public code brought along), it
  draws from another world, and what it learns there fails the grade.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

ORACLES = FIXTURES / "attacks" / "oracles"
pytestmark = pytest.mark.slow

#: attack -> (project, the metric the cheat would have raised)
ATTACKS = {
    "regularize": ("regularize-a-tiny-data-set", "test_accuracy"),
    "anomalies": ("anomalies-by-reconstruction", "roc_auc"),
    "transfer": ("transfer-with-40-labels", "test_accuracy"),
    "honest": ("honest-evaluation", "honesty_gap"),
}
#: the attacks on the transfer lesson that bring the generator along (`vendored`), where no world is secret
BYPASSES = {"transfer": "transfer-with-40-labels", "transfer_dead_backbone": "transfer-with-40-labels"}
#: the other roads (routes.py): uncover the hidden folder, read the grader's processes or environment
ROUTES = ("routes", "regularize-a-tiny-data-set", "test_accuracy")


def attack(tmp_path: Path, name: str, *options: str, vendored: bool = False) -> tuple[dict, list[str]]:
    """Grade the attack `name` on its project, with a fixed grade seed (so a fixed secret world, one the
    attacks were seen to fail in) and a long budget (training time is not what these attacks are about);
    the report and the attack's own ORACLE lines. `vendored`: the project folder brings a copy of dlpath's
    public generators along (dlpath/datasets/ beside train.py)."""
    project = ATTACKS[name][0] if name in ATTACKS else BYPASSES.get(name, ROUTES[1])
    folder = (tmp_path / project).resolve()
    folder.mkdir()
    shutil.copyfile(ORACLES / f"{name}.py", folder / "train.py")
    shutil.copyfile(ORACLES / "oracle_routes.py", folder / "oracle_routes.py")
    if vendored:
        import dlpath

        shutil.copytree(Path(dlpath.__file__).parent / "datasets", folder / "dlpath" / "datasets")
    (folder / ".dlpath-project").write_text(f"project: {project}\n", encoding="utf-8")
    env = dict(os.environ, DLPATH_HOME=str(tmp_path / "home"))
    env.pop("DLPATH_PROJECTS", None)
    proc = subprocess.run([sys.executable, "-m", "dlpath", "check", str(folder), "--json", "--device", "cpu",
                           "--no-record", "--seed", "11", "--timeout", "240", *options],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    lines = [line for line in report["output_tail"].splitlines() if line.startswith("ORACLE")]
    assert lines and lines[0].startswith("ORACLE route="), report["output_tail"]  # the attack ran its search
    return report, lines


def value(report: dict, metric: str) -> float:
    return next(t["value"] for t in report["thresholds"] if t["metric"] == metric)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_the_generator_is_not_in_the_learners_process(tmp_path: Path, name: str) -> None:
    report, lines = attack(tmp_path, name)
    if report["sandbox"]["level"] != "full":
        pytest.skip(f"the sandbox is {report['sandbox']['level']} here: {report['sandbox']['why']}")
    assert lines[0].startswith("ORACLE route=none"), lines
    assert "sys.modules: no generator" in lines[0] and "import: " in lines[0], lines  # an empty folder
    assert report["sandbox"]["generators_hidden"] is True
    assert report["passed"] is False and report["failure"] is None, report["verdict"]  # measured, and short


@pytest.mark.parametrize("name", ["regularize", "anomalies", "honest"])
def test_the_generator_without_the_secret_world_is_no_oracle(tmp_path: Path, name: str) -> None:
    """Without the sandbox, dlpath's code is in reach: the attack draws thousands of rows with the
    project's published parameters, but they come from another world than the grade's."""
    report, lines = attack(tmp_path, name, "--no-sandbox")
    assert lines[0] in ("ORACLE route=import", "ORACLE route=sys.modules (dlpath.datasets)") or (
        lines[0].startswith("ORACLE route=disk")), lines
    assert any(line.startswith("ORACLE drew") for line in lines), lines
    assert report["passed"] is False and report["failure"] is None, report["verdict"]  # measured, and short
    metric = ATTACKS[name][1]
    if name == "regularize":
        assert value(report, metric) < 0.7  # two informative columns of 150, in the wrong places: chance
    elif name == "anomalies":
        assert value(report, metric) < 0.8  # the detector learned another machine's signals
    else:
        # the model learned another world's patients and falls below the project's bar (clean_accuracy 0.8;
        # 0.67 at seed 11). Its estimates, measured in that other world (whose clinics are not the grade's),
        # prove nothing
        assert value(report, "clean_accuracy") < 0.8


def test_a_copy_of_the_generator_brought_into_the_sandbox_draws_another_world(tmp_path: Path) -> None:
    """dlpath's code is public: a project folder can bring the generators along, and the sandbox finds
    nothing wrong in that. What holds is the secret world: the 20,000 rows come from another one."""
    report, lines = attack(tmp_path, "regularize", vendored=True)
    if report["sandbox"]["level"] != "full":
        pytest.skip(f"the sandbox is {report['sandbox']['level']} here: {report['sandbox']['why']}")
    folder = str((tmp_path / ATTACKS["regularize"][0]).resolve())
    assert lines[0] == f"ORACLE route=disk ({folder})" and lines[1] == "ORACLE drew 20000 rows", lines
    assert report["passed"] is False and report["failure"] is None, report["verdict"]
    assert value(report, "test_accuracy") < 0.7


@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_a_network_from_scratch_on_a_brought_generator_fails_for_not_using_the_backbone(tmp_path: Path,
                                                                                         name: str) -> None:
    """The shapes have no secret world: a copy of the generator brought along draws 3,000 true labels, and a
    network trained on them from scratch scores about 0.90 for 0.85 (both attacks passed before the judge
    measured reliance). What fails them is the judge's ablation: replaying the model with the backbone's
    tensors replaced by fresh ones costs nothing, whether the backbone is absent or carried as dead weight."""
    report, lines = attack(tmp_path, name, vendored=True)
    assert lines[0].startswith("ORACLE route=") and lines[1] == "ORACLE drew 3000 rows", lines
    assert report["passed"] is False and report["failure"] is None, report["verdict"]
    assert value(report, "test_accuracy") > 0.85  # the oracle worked: the score alone would pass
    assert abs(value(report, "backbone_reliance")) < 0.05
    assert report["diagnoses"][0]["code"] == "backbone-bypassed", report["diagnoses"]


def test_the_sandbox_keeps_the_generator_hidden_and_the_grader_out_of_sight(tmp_path: Path) -> None:
    """Root in its own user namespace, the learner's code tries to unmount the empty folder laid over the
    generators (Landlock forbids it; in a nested namespace the mount is locked), and looks for the grader's
    processes and seeds in /proc and its environment: nothing opens, and it trains on its 100 rows."""
    report, lines = attack(tmp_path, ROUTES[0])
    if report["sandbox"]["level"] != "full":
        pytest.skip(f"the sandbox is {report['sandbox']['level']} here: {report['sandbox']['why']}")
    probes = dict(line[len("PROBE "):].split(": ", 1) for line in report["output_tail"].splitlines()
                  if line.startswith("PROBE "))
    assert set(probes) == {"umount", "umount-nested", "proc", "environment"}, report["output_tail"]
    assert probes["umount"].startswith("refused") and probes["umount-nested"].startswith("refused"), probes
    assert probes["proc"].startswith("nothing") and probes["environment"] == "nothing", probes
    assert lines[0].startswith("ORACLE route=none"), lines
    assert report["passed"] is False and report["failure"] is None, report["verdict"]
    assert value(report, ROUTES[2]) < 0.7  # a straight line on 100 rows of 150 columns

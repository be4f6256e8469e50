"""What the class got wrong: the class report of the synthetic class of 30 (tests/synthetic_class.py), added up from
the reports `dlpath grade` recorded when it graded that class for real (tests/fixtures/class/reports/), in text, in
summary.json, in each student's feedback and on report.html, which a real headless Chromium opens and draws."""

from __future__ import annotations

import collections
import datetime as dt
import io
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from rich.console import Console

from dlpath.grading.batch import BatchResult, Status, StudentResult
from dlpath.grading.classreport import class_report
from dlpath.grading.gradebook import feedback_files, summary_json, write_gradebook
from dlpath.grading.release import ReleasePolicy, Visibility
from dlpath.grading.report import report_from_json
from dlpath.grading.similarity import compare_sources
from dlpath.grading.project import load_project
from dlpath.render.classroom import render_class
from dlpath.render.html import COLOURS, class_report_html, write_class_report_html
from tests.synthetic_class import BUGGY, EXPECTED_PAIRS, sources

REPORTS = Path(__file__).parent / "fixtures" / "class" / "reports"
DUE = dt.datetime(2026, 12, 1, 23, 59, tzinfo=dt.timezone.utc)
LATE = {"omar", "zoe"}


def make_batch(out: Path, *, policy: ReleasePolicy | None = None) -> BatchResult:
    project = load_project("mlp-spirals")
    if policy is not None:
        import dataclasses

        project = dataclasses.replace(project, release=policy)
    results = []
    for path in sorted(REPORTS.glob("*.json")):
        data = json.loads(path.read_text())
        report = report_from_json(data)
        results.append(StudentResult(path.stem, Status.PASSED if report.passed else Status.FAILED, report.verdict,
                                     report, report.duration_s, "0" * 64, report_file=f"reports/{path.name}"))
    results.append(StudentResult("<b>mallory</b>", Status.REFUSED, "the zip holds a path that climbs out of its folder"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "reports").mkdir(exist_ok=True)
    for path in REPORTS.glob("*.json"):
        shutil.copy(path, out / "reports" / path.name)
    return BatchResult(project, results, out, 2, None, None, "cpu", 400.0)


def make_class_report(out: Path, *, policy: ReleasePolicy | None = None):
    batch = make_batch(out, policy=policy)
    texts = sources(batch.project.path)
    similar = compare_sources({s: {"train.py": t} for s, t in texts.items()},
                              base=[(batch.project.starter_dir / "train.py").read_text()])
    submitted = {s: DUE + (dt.timedelta(hours=2) if s in LATE else -dt.timedelta(days=1)) for s in texts}
    return batch, class_report(batch, similarity=similar, submitted=submitted, due=DUE)


def test_the_class_report_names_the_planted_causes_with_their_counts(tmp_path: Path) -> None:
    batch, report = make_class_report(tmp_path / "grades")
    planted = collections.defaultdict(set)
    for student, plan in BUGGY.items():
        planted[plan[-1]].add(student)
    found = {c.code: set(c.students) for c in report.causes if c.severity == "error"}
    assert found == planted  # every planted cause, with exactly its students; no other failure in this class
    assert {c.code for c in report.causes if c.severity != "error"} == {"dying-relu"}  # cato's ReLUs at lr=80
    by_code = {c.code: c for c in report.causes}
    assert by_code["softmax-before-cross-entropy"].count == 3 and by_code["shape-mismatch"].count == 2
    assert by_code["gradients-accumulate"].lesson == "forward-and-backprop"
    assert by_code["softmax-before-cross-entropy"].lesson == "loss-functions"
    assert [c.severity for c in report.causes] == sorted((c.severity for c in report.causes),
                                                         key=["error", "warning", "info"].index)
    assert report.students == 31 and report.graded == 30
    assert report.passed == sum(1 for r in batch.results if r.status is Status.PASSED)
    assert report.share_passing == pytest.approx(report.passed / 31)
    accuracy = report.metrics[0]
    assert accuracy.metric == "test_accuracy" and accuracy.minimum == 0.85
    assert accuracy.not_measured == 2 and accuracy.measured == 28  # abel and bea crashed before any measure
    assert accuracy.met == sum(1 for r in batch.results if r.report and r.report.thresholds[0].passed)
    assert sum(b.count for b in accuracy.bins) == 28 and accuracy.bins[0].low <= accuracy.lowest
    assert accuracy.bins[0].low <= 0.85 <= accuracy.bins[-1].high  # the threshold is on the chart
    assert {s.student for s in report.stopped} == {"abel", "bea"} and {s.kind for s in report.stopped} == {"exception"}
    assert [s.duration_s for s in report.slowest] == sorted((r.duration_s for r in batch.results if r.report),
                                                           reverse=True)[:5]
    assert [(b.low, b.count) for b in report.scores] == [
        (score, sum(1 for r in batch.results if r.report and r.report.score == score))
        for score in map(float, range(len(batch.project.thresholds) + 1))]
    assert set(report.late) == LATE and report.not_graded == (("<b>mallory</b>", "refused",
                                                                "the zip holds a path that climbs out of its folder"),)
    assert {frozenset((p.a, p.b)) for p in report.similarity.flagged} == EXPECTED_PAIRS


def test_the_class_report_in_text_and_in_summary_json(tmp_path: Path) -> None:
    batch, report = make_class_report(tmp_path / "grades")
    buffer = io.StringIO()
    render_class(report, Console(file=buffer, width=100))
    text = buffer.getvalue()
    assert re.search(r"softmax-before-cross-entropy\s+3\s+error\s+loss-functions", text), text
    assert "test_accuracy (target >= 0.85): " in text and "2 not measured" in text
    assert "Similar submissions: 9 pair(s) worth a look among 30 compared:" in text
    assert "bogdan & kofi: 100% of own code in common" in text and "Late (2): omar, zoe" in text
    data = json.loads(json.dumps(summary_json(batch, report)))
    klass = data["class"]
    assert {c["code"]: c["count"] for c in klass["causes"] if c["severity"] == "error"} == collections.Counter(
        p[-1] for p in BUGGY.values())
    assert klass["similarity"]["flagged"] == 9 and klass["share_passing"] == round(report.passed / 31, 4)
    assert {(p["a"], p["b"]) for p in klass["similarity"]["pairs"] if p["worth_a_look"]} == {
        tuple(sorted(p)) for p in EXPECTED_PAIRS}
    assert klass["release"] == {"metrics": "now", "feedback": "now", "submissions_per_day": None,
                                "due": "2026-12-01T23:59:00+00:00"}
    students = {s["student"]: s for s in data["students"]}
    assert students["omar"]["late"] and not students["kofi"]["late"]
    assert students["kofi"]["feedback"] == "feedback/kofi.txt"


def test_each_student_s_feedback_follows_the_release_policy(tmp_path: Path) -> None:
    policy = ReleasePolicy(metrics=Visibility.AFTER_DUE_DATE, feedback=Visibility.NOW)
    batch, report = make_class_report(tmp_path / "grades", policy=policy)
    before = feedback_files(batch, report, now=DUE - dt.timedelta(days=1))
    tara = before["tara.txt"]
    assert "softmax-before-cross-entropy" in tara  # the advice: now
    assert "test_accuracy =" not in tara and "Score:" not in tara and "NOT YET" not in tara
    assert "are shown after the due date" in tara
    after = feedback_files(batch, report, now=DUE + dt.timedelta(minutes=1))
    assert "NOT YET (mlp-spirals): test_accuracy is 0.8057" in after["tara.txt"]
    assert after["omar.txt"].startswith("LATE: handed in after the due date.") and "LATE" not in after["kofi.txt"]
    write_gradebook(batch, report)
    assert sorted(p.name for p in (tmp_path / "grades" / "feedback").iterdir()) == sorted(before)
    refused = [p for p in (tmp_path / "grades" / "feedback").iterdir() if p.name.startswith("b_mallory")]  # a file too
    assert len(refused) == 1 and "was not graded (refused)" in refused[0].read_text()
    summary = json.loads((tmp_path / "grades" / "summary.json").read_text())
    assert summary["students"][1]["metrics"]["test_accuracy"] > 0.85  # amara: the instructor sees everything


def test_report_html_is_one_self_contained_page(tmp_path: Path) -> None:
    batch, report = make_class_report(tmp_path / "grades")
    page = class_report_html(batch, report)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page) and "url(" not in page
    assert "<b>mallory</b>" not in page and "&lt;b&gt;mallory&lt;/b&gt;" in page  # a student's text is escaped
    assert 'href="feedback/kofi.txt"' in page and 'href="reports/kofi.json"' in page
    for needle in ("What the class got wrong", "softmax-before-cross-entropy", "dlpath show loss-functions",
                   "worth a look", "Scores of the 30 graded students", "test_accuracy (target &gt;= 0.85)"):
        assert needle in page, needle


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line) if step == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
        previous = line
    return width, height, rows


def test_report_html_opens_in_headless_chromium(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed here (Debian: apt-get install -y chromium); .ci/run installs it")
    batch, report = make_class_report(tmp_path / "grades")
    page = write_class_report_html(batch, report, tmp_path / "grades" / "report.html")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert "What the class got wrong" in dom.stdout and "softmax-before-cross-entropy" in dom.stdout, dom.stderr[-2000:]
    shot = tmp_path / "report.png"
    # the page as a 1200 x 2600 window shows it, drawn at half scale (a quarter of the pixels to decode here)
    done = subprocess.run([chromium, *flags, "--hide-scrollbars", "--window-size=1200,2600",
                           "--force-device-scale-factor=0.5", f"--screenshot={shot}", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.is_file(), done.stderr[-2000:]
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (600, 1300)
    counts = collections.Counter()
    wanted = {}  # each colour, and those within 12 of it on every channel (antialiased edges at half scale)
    for name, hex_colour in COLOURS.items():
        r, g, b = bytes.fromhex(hex_colour[1:])
        near = [range(max(0, c - 12), min(255, c + 12) + 1) for c in (r, g, b)]
        wanted.update({bytes((x, y, z)): name for x in near[0] for y in near[1] for z in near[2]})
    for row in rows:
        for x in range(0, len(row), 3):
            name = wanted.get(row[x:x + 3])
            if name:
                counts[name] += 1
    # the score bars, the causes' bars, the metric histograms, the threshold lines and the "worth a look" badges
    # are drawn: each colour covers at least fifty pixels of the page
    assert all(counts[name] > 50 for name in COLOURS), counts

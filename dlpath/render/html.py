"""`grades/report.html`: a class's grades on one self-contained page.

The page needs nothing but itself: the style is inline, the charts are inline
SVG, there is no script, no font, no image and no link outside the output
folder (each student's feedback and report are linked relative to it), so it
opens from a disk, a zip or an e-mail, offline. Every text that came from a
student (names, verdicts, their code in the similar fragments) is escaped.

Charts: the score distribution, the causes the mentor found (students per
cause), and each metric's spread with its threshold drawn across it.
"""

from __future__ import annotations

import datetime as _dt
import html
from pathlib import Path
from typing import Any, Iterable

from dlpath.grading.batch import student_slug

__all__ = ["class_report_html", "write_class_report_html", "COLOURS"]

#: the charts' colours (tests find them in a screenshot)
COLOURS = {"score": "#2563eb", "cause": "#ea580c", "metric": "#0d9488", "threshold": "#dc2626",
           "look": "#db2777"}

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2937;background:#f8fafc}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.sub{color:#6b7280;margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e5e7eb}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #f1f5f9;vertical-align:top}
th{background:#f1f5f9;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.passed{color:#15803d;font-weight:600}.failed{color:#b91c1c;font-weight:600}
.refused{color:#7e22ce;font-weight:600}.error{color:#a16207;font-weight:600}
.badge{display:inline-block;border-radius:4px;padding:0 6px;color:#fff;font-size:12px;font-weight:600}
.look{background:LOOK}.late{background:#a16207}
.charts{display:flex;gap:16px;flex-wrap:wrap}.chart{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px}
svg text{font:11px system-ui,sans-serif;fill:#374151}
pre{background:#0f172a;color:#e2e8f0;padding:8px;border-radius:6px;overflow:auto;font-size:12px;margin:4px 0}
.frag{display:grid;grid-template-columns:1fr 1fr;gap:8px}
details summary{cursor:pointer}
footer{color:#6b7280;margin-top:32px;font-size:12px}
""".replace("LOOK", COLOURS["look"])


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _short(value: float) -> str:
    """A number in four characters or so, for an axis: 0.85, 12, 2.5k, 1.2M."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.2g}{suffix}"
    return f"{value:.2g}"


def _clip(text: str, limit: int) -> str:
    """`text` cut at a word before `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " ..."


def _bars(labels: list[str], counts: list[int], colour: str, *, title: str, width: int = 420,
          height: int = 180, marks: Iterable[tuple[float, str]] = ()) -> str:
    """A vertical bar chart in SVG; `marks`: (position 0..1 along the x axis, label) drawn as red dashed lines."""
    n = max(1, len(counts))
    top = max([1, *counts])
    left, bottom, plot_h = 30, 34, height - 54
    plot_w = width - left - 10
    bar = plot_w / n
    parts = [f'<svg width="{width}" height="{height}" role="img" '
             f'aria-label="{_e(title)}"><title>{_e(title)}</title>',
             f'<text x="{left}" y="12">{_e(title)}</text>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#9ca3af"/>']
    for i, (label, count) in enumerate(zip(labels, counts)):
        h = plot_h * count / top
        x = left + i * bar
        y = height - bottom - h
        parts.append(f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{max(1.0, bar - 4):.1f}" height="{h:.1f}" '
                     f'fill="{colour}"><title>{_e(label)}: {count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{count}</text>')
        if n <= 6 or i % 2 == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle">'
                         f'{_e(label)}</text>')
    for position, label in marks:
        x = left + plot_w * min(1.0, max(0.0, position))
        anchor, shift = ("end", -3) if position > 0.7 else ("start", 3)
        edge = 2 * round(x / 2) - 2  # a 4-pixel bar on even pixels: crisp at any whole or half scale
        parts.append(f'<rect x="{edge}" y="18" width="4" height="{height - bottom - 18}" fill="{COLOURS["threshold"]}">'
                     f'<title>threshold {_e(label)}</title></rect>'
                     f'<text x="{x + shift:.1f}" y="28" text-anchor="{anchor}" fill="{COLOURS["threshold"]}">'
                     f'{_e(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _hbars(rows: list[tuple[str, int]], colour: str, *, title: str, total: int, width: int = 520) -> str:
    """Horizontal bars (a cause and its students), in SVG."""
    height = 22 + 22 * max(1, len(rows))
    label_w = 210
    plot_w = width - label_w - 40
    parts = [f'<svg width="{width}" height="{height}" role="img" '
             f'aria-label="{_e(title)}"><title>{_e(title)}</title>', f'<text x="0" y="12">{_e(title)}</text>']
    for i, (label, count) in enumerate(rows):
        y = 20 + 22 * i
        w = plot_w * count / max(1, total)
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{_e(label[:32])}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{max(1.0, w):.1f}" height="15" fill="{colour}">'
                     f'<title>{_e(label)}: {count}</title></rect>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 14}">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list[str]], numeric: Iterable[int] = ()) -> str:
    numeric = set(numeric)
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _scores(report: Any) -> str:
    labels = [f"{b.low:g}" if b.low == b.high else f"{b.low:.3g}-{b.high:.3g}" for b in report.scores]
    return _bars(labels, [b.count for b in report.scores], COLOURS["score"],
                 title=f"Scores of the {report.graded} graded students (out of {report.max_score:g})")


def _causes(report: Any) -> str:
    if not report.causes:
        return "<p>The mentor found nothing to say about any submission.</p>"
    chart = _hbars([(c.code, c.count) for c in report.causes[:12]], COLOURS["cause"],
                   title="Students per cause", total=report.students)
    rows = [[f"<code>{_e(c.code)}</code>", str(c.count), _e(c.severity),
             f"<code>dlpath show {_e(c.lesson)}</code>" if c.lesson else "-",
             _e(", ".join(c.students)), _e(_clip(c.message, 320))] for c in report.causes]
    return (f'<div class="chart">{chart}</div>'
            + _table(["cause", "students", "severity", "lesson to re-teach", "who", "what the mentor said (to the "
                      "first)"], rows, numeric=[1]))


def _metric(m: Any) -> str:
    if not m.bins:
        return f"<p>{_e(m.metric)}: not measured for anyone.</p>"
    low, high = m.bins[0].low, m.bins[-1].high
    marks = [((bound - low) / (high - low), f"{side} {bound:g}") for bound, side in ((m.minimum, ">="),
                                                                                    (m.maximum, "<="))
             if bound is not None and high > low]
    labels = [_short(b.low) for b in m.bins]
    chart = _bars(labels, [b.count for b in m.bins], COLOURS["metric"], marks=marks,
                  title=f"{m.metric} (target {m.target}): {m.met} of {m.measured} met")
    return (f'<div class="chart">{chart}<p>lowest {_num(m.lowest)}, median {_num(m.median)}, highest '
            f'{_num(m.highest)}; not measured: {m.not_measured}</p></div>')


def _similar(report: Any) -> str:
    sim = report.similarity
    if sim is None:
        return "<p>Not compared.</p>"
    shown = sim.flagged + [p for p in sim.pairs if not p.worth_a_look and p.tokens >= sim.min_tokens][:10]
    intro = (f"<p>{len(sim.compared)} submissions compared (the starter's code and the hints' left out); "
             f"<b>{len(sim.flagged)}</b> pair(s) worth a look: more than {sim.threshold:.0%} of one student's own "
             f"code in common with the other, at least {sim.min_tokens} tokens, after names, numbers, strings, "
             "comments and the order of functions are set aside. Below them, the closest other pairs with as much "
             "code in common, for comparison.</p>")
    if not shown:
        return intro
    rows = []
    for p in shown:
        badge = ' <span class="badge look">worth a look</span>' if p.worth_a_look else ""
        frags = "".join(
            f"<p>{f.tokens} tokens: {_e(p.a)} {_e(f.a_file)}:{f.a_lines[0]}-{f.a_lines[1]} and {_e(p.b)} "
            f"{_e(f.b_file)}:{f.b_lines[0]}-{f.b_lines[1]}</p><div class=\"frag\"><pre>{_e(f.a_text)}</pre>"
            f"<pre>{_e(f.b_text)}</pre></div>" for f in p.fragments)
        detail = f"<details><summary>{len(p.fragments)} shared fragment(s)</summary>{frags}</details>" if frags else ""
        rows.append([f"{_e(p.a)} &amp; {_e(p.b)}{badge}{detail}", f"{p.similarity:.0%}",
                     f"{p.a_share:.0%} / {p.b_share:.0%}", str(p.tokens)])
    return intro + _table(["pair", "similarity", "share of each one's own code", "tokens in common"], rows,
                          numeric=[1, 2, 3])


def _students(batch: Any, report: Any) -> str:
    metrics = [m.metric for m in report.metrics]
    rows = []
    for r in batch.results:
        slug = student_slug(r.student)
        links = [f'<a href="feedback/{_e(slug)}.txt">feedback</a>']
        if r.report_file:
            links.append(f'<a href="{_e(r.report_file)}">report</a>')
        values = {t.metric: t.value for t in r.report.thresholds} if r.report else {}
        late = ' <span class="badge late">late</span>' if r.student in report.late else ""
        rows.append([f"{_e(r.student)}{late}", f'<span class="{_e(r.status.value)}">{_e(r.status.value)}</span>',
                     f"{r.report.score:g}/{r.report.max_score:g}" if r.report else "-",
                     *[_num(values.get(m)) for m in metrics],
                     _e(", ".join(d.code for d in r.report.diagnoses)) if r.report else "",
                     _e(r.message[:200]), f"{r.duration_s:.1f} s" if r.duration_s else "-", " ".join(links)])
    return _table(["student", "result", "points", *metrics, "diagnoses", "verdict", "time", "files"], rows,
                  numeric=[2, *range(3, 3 + len(metrics))])


def _release(report: Any) -> str:
    policy = report.release
    words = {"now": "at once", "after_due_date": "after the due date", "never": "never (you only)"}
    limit = (f"{policy.submissions_per_day} graded submissions a day" if policy.submissions_per_day
             else "no limit of submissions")
    due = report.due.isoformat(timespec="minutes") if report.due else "none"
    return (f"Release policy: students see the metrics {words[policy.metrics.value]}, the mentor's advice "
            f"{words[policy.feedback.value]}; {limit}; due date {_e(due)}. The files under feedback/ hold what each "
            "student may see now.")


def class_report_html(batch: Any, report: Any, *, generated: _dt.datetime | None = None) -> str:
    """The whole page for `batch` (a `BatchResult`) and its `ClassReport`."""
    when = (generated or _dt.datetime.now(_dt.timezone.utc)).isoformat(timespec="minutes")
    sim = report.similarity
    cards = [("students", report.students), ("passed", f"{report.passed} ({report.share_passing:.0%})"),
             ("graded", report.graded), ("stopped early", len(report.stopped)), ("late", len(report.late)),
             ("worth a look", len(sim.flagged) if sim is not None else "-")]
    card_html = "".join(f'<div class="card"><span>{_e(k)}</span><b>{_e(v)}</b></div>' for k, v in cards)
    slow = _table(["student", "grade", "training"], [[_e(s.student), f"{s.duration_s:.1f} s", f"{s.training_s:.1f} s"]
                                                      for s in report.slowest], numeric=[1, 2])
    stopped = _table(["student", "how", "verdict"], [[_e(s.student), _e(s.kind), _e(s.verdict[:200])]
                                                     for s in report.stopped]) if report.stopped else \
        "<p>Every graded submission trained to the end.</p>"
    not_graded = _table(["student", "status", "why"], [[_e(s), _e(st), _e(why[:200])]
                                                       for s, st, why in report.not_graded]) \
        if report.not_graded else ""
    metric_charts = "".join(_metric(m) for m in report.metrics)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>dlpath grade: {_e(report.project)}</title><style>{_CSS}</style></head>
<body><main>
<h1 id="title">{_e(report.project)}: {_e(report.title)}</h1>
<p class="sub">{report.students} submissions graded by dlpath on held-out data, {_e(when)}.</p>
<div class="cards" id="cards">{card_html}</div>
<h2 id="scores">Scores</h2><div class="charts"><div class="chart">{_scores(report)}</div></div>
<h2 id="causes">What the class got wrong</h2>{_causes(report)}
<h2 id="metrics">Each metric against its threshold</h2><div class="charts">{metric_charts}</div>
<h2 id="similar">Similar submissions</h2>{_similar(report)}
<h2 id="stopped">Stopped early</h2>{stopped}
<h2 id="slowest">Slowest</h2>{slow}
{"<h2 id='not-graded'>Not graded</h2>" + not_graded if not_graded else ""}
<h2 id="students">Students</h2>{_students(batch, report)}
<footer>{_release(report)}</footer>
</main></body></html>
"""


def write_class_report_html(batch: Any, report: Any, path: Path) -> Path:
    """Write the page to `path` (atomically); the path."""
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(class_report_html(batch, report), encoding="utf-8")
    temp.replace(path)
    return path

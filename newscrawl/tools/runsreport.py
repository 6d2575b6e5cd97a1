"""`newscrawl runs DATA_DIR --html report.html`: the run log as one self-contained HTML page.

A row per job in the order they ended (status, items, new/revised, failures by short reason,
rejects, problems, its manifest) and, per site, charts over time of items, the generic
extractor's share and each field's coverage (one series per chart): the early signs of a
redesign. Failed jobs are marked in the table and on the charts. No script, no external file:
the page opens anywhere, from a mail attachment too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from newscrawl.crawl.failures import short_reason
from newscrawl.crawl.outcomes import Outcome
from newscrawl.extract.base import coverage_fields
from newscrawl.tools.present import as_dict, moment, number, read_manifest

COLOUR = "#1f77b4"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; }
td.end { white-space: nowrap; }
tr.failed td { background: #fde2e2; }
tr.failed td.status { color: #b00020; font-weight: bold; }
.chart { margin: 0 2em 2em 0; display: inline-block; vertical-align: top; }
.coverage, .over-time { max-width: 1300px; }
h3 { font-size: 14px; margin: 0 0 .3em; }
"""


def manifest_of(entry: dict) -> tuple[dict, str | None]:
    """The job's manifest, and what is wrong with it when it cannot be shown (then an empty one)."""
    path = entry.get("manifest")
    if not isinstance(path, str) or not path:
        return {}, "no manifest"
    return read_manifest(Path(path))


def _count(value) -> str:
    """A count for a table cell, escaped; whatever else a run log holds is shown as such."""
    n = number(value)
    return escape(str(n if n is not None else 0 if value is None else f"not a number: {value!r}"[:80]))


def zero_items(entry: dict, manifest: dict, before: list[dict]) -> str:
    """Why an ok run wrote no item, in words: "nothing new" when the site listed articles the state
    already held (unchanged, 304, duplicates), "dropped to 0" when it listed none after runs that
    wrote items (a source gone quiet: look before the next run). "" for a run that wrote items."""
    if number(entry.get("items")) != 0 or entry.get("status") != "ok":
        return ""
    counts = as_dict(manifest.get("counts"))
    known = sum(number(counts.get(name)) or 0 for name in ("unchangedSkipped", "notModified", "duplicatesDropped"))
    listed = number(counts.get("listed")) or 0
    if known or listed:
        return f"nothing new ({listed} listed, {known} already held)"
    earlier = [n for n in (number(e.get("items")) for e in before) if n]
    if earlier:
        return f"dropped to 0 (the run before wrote {earlier[-1]}; nothing listed)"
    return "nothing listed"


def _manifest_link(path) -> str:
    """A link to the manifest file: file: for an absolute path, ./ for a relative one, so a
    path such as ``javascript:…`` stays a file name."""
    if not isinstance(path, str) or not path:
        return ""
    href = Path(path).as_uri() if Path(path).is_absolute() else "./" + quote(path)
    return f'<a href="{escape(href)}">manifest</a>'


def failures_by_reason(manifest: dict) -> str:
    """The job's failures by their short reason (README, "Every URL has an outcome")."""
    details = as_dict(as_dict(manifest.get("urls")).get("outcomeDetails"))
    reasons: dict[str, int] = {}
    for key, n in details.items():
        try:
            outcome = Outcome.parse(str(key))
        except ValueError:
            continue  # a hand-edited manifest: its outcomes are not ours to guess
        if outcome.kind == "failure" and isinstance(number(n), int):
            reason = short_reason(outcome.reason)
            reasons[reason] = reasons.get(reason, 0) + int(n)
    return ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()) if n) or "–"


def _ended(entry: dict) -> tuple[bool, datetime]:
    """Sort key: when the job ended; a job without a readable end time after every other."""
    end = moment(entry.get("end"))
    return end is None, end or EPOCH


def in_time_order(entries: list[dict]) -> list[dict]:
    """The jobs by when they ended (the log is in the order they were recorded); a job without a
    readable end time last, in log order."""
    return sorted(entries, key=_ended)


def recent(entries: list[dict], since: datetime | None = None, last: int | None = None) -> list[dict]:
    """The jobs that ended at or after ``since``, of those the ``last`` latest; in time order."""
    chosen = in_time_order(entries)
    if since is not None:
        chosen = [entry for entry in chosen if _ended(entry)[1] >= since]
    return chosen[-last:] if last else chosen


def _label(when: datetime, small: bool = False) -> str:
    return when.strftime("%m-%d %H:%M" if small else "%Y-%m-%d %H:%M")


#: the per-run charts of a site's coverage over time: (title, manifest count)
OVER_TIME_CHARTS = (
    ("articles listed", "listed"),
    ("revisits", "revisits"),
    ("304 not modified", "notModified"),
    ("withdrawn", "withdrawn"),
)


def line_chart(
    title: str,
    values: list[float | None],
    times: list[datetime | None],
    failed: list[bool],
    top: float | None = None,
    small: bool = False,
) -> str:
    """An SVG chart of one series over the runs: x is when each run ended (by order when a time is
    missing), a dot per run (one run is one dot), failed runs ringed in red, the first and last
    times under the axis. One series per chart: lines never hide each other."""
    width, height = (230, 110) if small else (420, 170)
    left, right, top_pad, bottom = 34, 14, 24, 34
    known = [t for t in times if t is not None]
    first = min(known) if known else None
    whole = (max(known) - first).total_seconds() if first else 0.0
    by_time = len(known) == len(times) and whole > 0
    peak = top or max([v for v in values if v is not None] + [1])
    span = width - left - right

    def x(i: int) -> float:
        if len(values) == 1:
            return left + span / 2
        if by_time:
            return left + span * ((times[i] - first).total_seconds() / whole)  # type: ignore[operator]
        return left + span * i / (len(values) - 1)

    def y(v: float) -> float:
        return height - bottom - (height - bottom - top_pad) * (v / peak)

    axis = height - bottom
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{axis}" x2="{width - right}" y2="{axis}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{axis}" stroke="#ddd"/>',
        f'<text x="{left - 4}" y="{y(peak) + 4:.0f}" font-size="10" text-anchor="end">{peak:g}</text>',
        f'<text x="{left - 4}" y="{axis + 4}" font-size="10" text-anchor="end">0</text>',
    ]
    # Time labels under the axis: the first and the last run's end (one label for a single run).
    ends = [i for i in (0, len(values) - 1) if times and times[i] is not None]
    for i in sorted(set(ends)):
        anchor = "middle" if len(values) == 1 else "start" if i == 0 else "end"
        parts.append(
            f'<text class="time" x="{x(i):.1f}" y="{axis + 14}" font-size="10" text-anchor="{anchor}">'
            f"{escape(_label(times[i], small))}</text>"  # type: ignore[arg-type]
        )
    if ends:
        parts.append(
            f'<text x="{(left + width - right) / 2:.0f}" y="{axis + 28}" font-size="10" fill="#666" '
            f'text-anchor="middle">run end, UTC</text>'
        )
    points = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline fill="none" stroke="{COLOUR}" stroke-width="2" points="{path}"/>')
    for i, v in enumerate(values):
        if v is None:
            continue
        when = _label(times[i]) if i < len(times) and times[i] is not None else f"run {i + 1}"  # type: ignore[arg-type]
        parts.append(
            f'<circle class="point" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{COLOUR}">'
            f"<title>{escape(when)}: {v:g}</title></circle>"
        )
        if i < len(failed) and failed[i]:
            parts.append(
                f'<circle class="failed-run" cx="{x(i):.1f}" cy="{y(v):.1f}" r="6" fill="none" stroke="#b00020" stroke-width="2"/>'
            )
    if not points:
        parts.append(f'<text x="{left + 8}" y="{axis - 8}" font-size="11" fill="#666">no value in these runs</text>')
    parts.append("</svg>")
    return '<div class="chart">' + "".join(parts) + "</div>"


def _log_cause(entry: dict) -> str:
    """A crashed job's last error lines and its full log's link (only an http(s) URL is a link)."""
    tail = entry.get("logTail")
    html = ""
    if isinstance(tail, list) and tail:
        html += '<pre class="log">' + escape("\n".join(map(str, tail))) + "</pre>"
    url = entry.get("logUrl")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        html += f'<a href="{escape(url, quote=True)}">full log</a>'
    return html


def render(entries: list[dict]) -> str:
    """The page of these jobs, in the order they ended."""
    entries = in_time_order(entries)
    rows: list[Any] = []
    sites: dict[str, Any] = {}
    for entry in entries:
        manifest, wrong = manifest_of(entry)
        failed = entry.get("status") != "ok"
        before = [e for e, _, _ in sites.get(str(entry.get("spider")), [])]
        sites.setdefault(str(entry.get("spider")), []).append((entry, manifest, failed))
        why_none = zero_items(entry, manifest, before)
        problems = entry.get("problems")
        problems = (
            [str(p) for p in problems]
            if isinstance(problems, list)
            else []
            if problems is None
            else [f"problems: {problems!r}"]
        )
        if wrong and entry.get("manifest"):
            problems.append(wrong)
        cause = _log_cause(entry)
        rows.append(
            f'<tr class="{"failed" if failed else "ok"}"><td class="end">{escape(str(entry.get("end")))}</td><td>{escape(str(entry.get("spider")))}</td>'
            f'<td>{escape(str(entry.get("job")))}</td><td class="status">{"FAILED" if failed else "ok"}</td>'
            f'<td class="n">{_count(entry.get("items"))}{f"<br><small>{escape(why_none)}</small>" if why_none else ""}</td><td class="n">{_count(entry.get("new"))} / {_count(entry.get("revised"))}</td>'
            f'<td>{escape(failures_by_reason(manifest))}</td><td class="n">{_count(entry.get("rejects"))}</td>'
            f"<td>{escape('; '.join(problems))}{cause}</td><td>{_manifest_link(entry.get('manifest'))}</td></tr>"
        )
    charts = []
    for site, runs in sites.items():
        failed = [f for _, _, f in runs]
        times = [moment(e.get("end")) for e, _, _ in runs]
        coverage = "".join(
            line_chart(
                name, [number(as_dict(m.get("fieldCoverage")).get(name)) for _, m, _ in runs], times, failed, 1.0, True
            )
            for name in coverage_fields()
        )
        fallback = [number(as_dict(m.get("layout")).get("fallbackShare")) for _, m, _ in runs]
        # Over time: what discovery listed, what was revisited, answered 304 and found withdrawn, per run
        # (the day-by-day ledger is `newscrawl coverage`). Manifests before these counts show no dots.
        over_time = "".join(
            line_chart(
                title, [number(as_dict(m.get("counts")).get(name)) for _, m, _ in runs], times, failed, None, True
            )
            for title, name in OVER_TIME_CHARTS
        )
        charts.append(
            f'<section class="site" id="site-{escape(quote(str(site)))}"><h2>{escape(str(site))}</h2>'
            + line_chart("items per run", [number(e.get("items")) for e, _, _ in runs], times, failed)
            + line_chart("generic extractor share", fallback, times, failed, top=1.0)
            + f'<h3>field coverage</h3><div class="coverage">{coverage}</div>'
            + f'<h3>coverage over time</h3><div class="over-time">{over_time}</div></section>'
        )
    failed_count = sum(1 for entry in entries if entry.get("status") != "ok")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>newscrawl runs</title>'
        f"<style>{STYLE}</style></head><body><h1>newscrawl runs</h1>"
        f"<p>{len(entries)} jobs, {failed_count} failed.</p>"
        "<table><thead><tr><th>end</th><th>site</th><th>job</th><th>status</th><th>items</th><th>new / revised</th>"
        "<th>failures by reason</th><th>rejects</th><th>problems</th><th></th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + "".join(charts)
        + "</body></html>"
    )

"""`newscrawl runs DATA_DIR --html report.html`: the run log as one self-contained HTML page.

A row per job (status, items, new/revised, failures by reason, rejects, problems, its manifest)
and, per site, charts over the runs of items, field coverage and fallback share: the early signs
of a redesign. Failed jobs are marked in the table and on the charts. No script, no external
file: the page opens anywhere, from a mail attachment too.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from newscrawl.sites.registry import coverage_fields
from newscrawl.tools.present import as_dict, number, read_manifest

COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf")

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; }
tr.failed td { background: #fde2e2; }
tr.failed td.status { color: #b00020; font-weight: bold; }
.chart { margin: 0 2em 2em 0; display: inline-block; vertical-align: top; }
.legend span { margin-right: 1em; }
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


def _manifest_link(path) -> str:
    """A link to the manifest file: file: for an absolute path, ./ for a relative one, so a
    path such as ``javascript:…`` stays a file name."""
    if not isinstance(path, str) or not path:
        return ""
    href = Path(path).as_uri() if Path(path).is_absolute() else "./" + quote(path)
    return f'<a href="{escape(href)}">manifest</a>'


def failures_by_reason(manifest: dict) -> str:
    details = as_dict(as_dict(manifest.get("urls")).get("outcomeDetails"))
    reasons = {str(key).split(":", 1)[1]: n for key, n in details.items() if str(key).startswith("failure:")}
    return ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items())) or "–"


def line_chart(title: str, series: dict[str, list[float | None]], failed: list[bool], top: float | None = None) -> str:
    """An SVG line chart of one or more series over the runs, failed runs marked with a red ring."""
    width, height, pad = 420, 160, 30
    runs = max((len(values) for values in series.values()), default=0)
    peak = top or max([v for values in series.values() for v in values if v is not None] + [1])

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / max(runs - 1, 1))

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * (v / peak)

    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{pad}" y="16">{escape(title)}</text>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#999"/>',
        f'<text x="2" y="{y(peak) + 4:.0f}" font-size="10">{peak:g}</text>',
    ]
    for (name, values), colour in zip(series.items(), COLOURS * 4):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values) if v is not None)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"><title>{escape(name)}</title></polyline>'
        )
        for i, v in enumerate(values):
            if v is not None and i < len(failed) and failed[i]:
                parts.append(
                    f'<circle class="failed-run" cx="{x(i):.1f}" cy="{y(v):.1f}" r="5" fill="none" stroke="#b00020" stroke-width="2"/>'
                )
    parts.append("</svg>")
    legend = (
        "".join(f'<span style="color:{c}">■ {escape(n)}</span>' for n, c in zip(series, COLOURS * 4))
        if len(series) > 1
        else ""
    )
    return '<div class="chart">' + "".join(parts) + (f'<div class="legend">{legend}</div>' if legend else "") + "</div>"


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
    rows: list[Any] = []
    sites: dict[str, Any] = {}
    for entry in entries:
        manifest, wrong = manifest_of(entry)
        failed = entry.get("status") != "ok"
        sites.setdefault(str(entry.get("spider")), []).append((entry, manifest, failed))
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
            f'<tr class="{"failed" if failed else "ok"}"><td>{escape(str(entry.get("end")))}</td><td>{escape(str(entry.get("spider")))}</td>'
            f'<td>{escape(str(entry.get("job")))}</td><td class="status">{"FAILED" if failed else "ok"}</td>'
            f'<td class="n">{_count(entry.get("items"))}</td><td class="n">{_count(entry.get("new"))} / {_count(entry.get("revised"))}</td>'
            f'<td>{escape(failures_by_reason(manifest))}</td><td class="n">{_count(entry.get("rejects"))}</td>'
            f"<td>{escape('; '.join(problems))}{cause}</td><td>{_manifest_link(entry.get('manifest'))}</td></tr>"
        )
    charts = []
    for site, runs in sites.items():
        failed = [f for _, _, f in runs]
        items = {"items": [number(e.get("items")) for e, _, _ in runs]}
        coverage = {
            name: [number(as_dict(m.get("fieldCoverage")).get(name)) for _, m, _ in runs] for name in coverage_fields()
        }
        fallback = {"fallback share": [number(as_dict(m.get("layout")).get("fallbackShare")) for _, m, _ in runs]}
        charts.append(
            f"<h2>{escape(str(site))}</h2>"
            + line_chart("items per run", items, failed)
            + line_chart("field coverage", coverage, failed, top=1.0)
            + line_chart("generic extractor share", fallback, failed, top=1.0)
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

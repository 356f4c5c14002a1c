"""The annual report as one self-contained HTML page: words first, then tables and charts (inline SVG)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from .domain.report import Chart, Report, Table
from .domain.words import number

PALETTE = ("#1d70b8", "#f47738", "#00703c", "#912b88", "#b58840")
STYLE = """
body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;max-width:1100px;margin:2em auto;padding:0 1em}
h1{font-size:2em;margin-bottom:.2em}h2{border-top:4px solid #1d70b8;padding-top:.4em;margin-top:2em}
.lede{font-size:1.2em;color:#505a5f}ul.headlines li{font-size:1.1em;margin:.4em 0}
table{border-collapse:collapse;margin:1em 0;font-size:.9em;width:100%}
th,td{border-bottom:1px solid #b1b4b6;padding:.3em .5em;text-align:right}
th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:bold;padding:.3em 0}
.note{color:#505a5f;font-size:.85em}.chart{margin:1em 0}.legend span{margin-right:1.5em}
.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}
@media print{h2{page-break-before:always}}
"""


def cell(value: Any) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(value)
    return escape(str(value))


def table_html(table: Table) -> str:
    head = "".join(f"<th scope='col'>{escape(c.heading)}</th>" for c in table.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell(row.get(c.key))}</td>" for c in table.columns) + "</tr>" for row in table.rows
    )
    note = f"<p class='note'>{escape(table.note)}</p>" if table.note else ""
    empty = "" if table.rows else f"<tr><td colspan='{len(table.columns)}'>None in this period</td></tr>"
    return (
        f"<table id='{table.name}'><caption>{escape(table.title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{rows}{empty}</tbody></table>{note}"
    )


def chart_svg(chart: Chart, width: int = 900, height: int = 260) -> str:
    """A grouped bar chart: one group per label, one bar per series."""
    values = [v for _, series in chart.series for v in series]
    top = max(values, default=0) or 1
    left, bottom, plot_height = 60, 40, height - 60
    group = (width - left - 10) / max(len(chart.labels), 1)
    bar = max(group * 0.8 / max(len(chart.series), 1), 1)
    parts = [f"<line x1='{left}' y1='{height - bottom}' x2='{width - 10}' y2='{height - bottom}' stroke='#0b0c0c'/>"]
    for tick in range(5):
        value = top * tick / 4
        y = height - bottom - plot_height * tick / 4
        parts.append(
            f"<text x='{left - 6}' y='{y + 4:.0f}' text-anchor='end' font-size='11'>{number(round(value))}</text>"
        )
    for i, name in enumerate(chart.labels):
        x = left + group * i + group * 0.1
        for j, (_, series) in enumerate(chart.series):
            value = series[i] if i < len(series) else 0
            h = plot_height * (value or 0) / top
            parts.append(
                f"<rect x='{x + bar * j:.1f}' y='{height - bottom - h:.1f}' width='{bar:.1f}' height='{h:.1f}' "
                f"fill='{PALETTE[j % len(PALETTE)]}'><title>{escape(name)}: {cell(value)}</title></rect>"
            )
        parts.append(
            f"<text x='{x + group * 0.4:.1f}' y='{height - bottom + 16}' text-anchor='middle' font-size='11'>"
            f"{escape(name[:18])}</text>"
        )
    legend = "".join(
        f"<span><i style='background:{PALETTE[j % len(PALETTE)]}'></i>{escape(series_name)}</span>"
        for j, (series_name, _) in enumerate(chart.series)
    )
    return (
        f"<figure class='chart'><figcaption><b>{escape(chart.title)}</b></figcaption>"
        f"<svg role='img' aria-label='{escape(chart.title)}' viewBox='0 0 {width} {height}' width='100%'>"
        f"{''.join(parts)}</svg><div class='legend'>{legend}</div></figure>"
    )


def annual_report_html(report: Report, council: str, generated_at: datetime) -> str:
    sections = []
    for section in report.sections:
        headlines = "".join(f"<li>{escape(h)}</li>" for h in section.headlines)
        sections.append(
            f"<section id='{section.key}'><h2>{escape(section.title)}</h2>"
            f"<ul class='headlines'>{headlines}</ul>"
            + "".join(chart_svg(chart) for chart in section.charts)
            + "".join(table_html(table) for table in section.tables)
            + "</section>"
        )
    conventions = "".join(f"<li>{escape(c)}</li>" for c in report.conventions)
    return (
        "<!doctype html><html lang='en-GB'><head><meta charset='utf-8'>"
        f"<title>Customer services annual report {escape(report.period.label)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Customer services annual report {escape(report.period.label)}</h1>"
        f"<p class='lede'>{escape(council)}: customer contact, satisfaction, compliments and complaints, "
        f"{report.period.first:%-d %B %Y} to {report.period.last:%-d %B %Y}, compared with "
        f"{escape(report.previous.label)}.</p>"
        + "".join(sections)
        + f"<h2>How the figures are counted</h2><ul class='note'>{conventions}</ul>"
        f"<p class='note'>Produced by Frontdoor from its reporting projections on "
        f"{generated_at:%-d %B %Y at %H:%M}.</p></body></html>"
    )

"""Charts as SVG drawn on the server by pygal, shown as images: no script, no CDN.

pygal (an installed package) draws each chart as an SVG document with its stylesheet
inlined from the package; its tooltip script, which pygal would load from a CDN, is left
out. The page shows the SVG as an `<img>` with a `data:` URI, so the chart's own styles
stay inside the image and the page's Content-Security-Policy needs no inline style or
script. Every chart is drawn from the same numbers as the table beside it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import pygal
from pygal.style import Style

# Width and height of the drawing; the image scales to its box. Drawn small, so that on a
# 390 px phone its text stays readable, and scaled up on a desktop.
WIDTH, HEIGHT = 520, 340
# Colour-blind-safe series colours (Okabe and Ito), in the order series are added.
COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222222",
    foreground_strong="#111111",
    foreground_subtle="#bbbbbb",
    colors=COLOURS,
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=15,
    title_font_size=16,
    value_font_size=13,
)
Values = Sequence[float | int | None]
# Characters left as they are in a chart's data: URI (`#` and `%` must be escaped).
URI_SAFE = "=:;,/'()-._~*!"
# About the width of one character of an axis label, in drawing units.
CHAR_PX = 8.5


@dataclass(frozen=True)
class Chart:
    """A drawn chart: its title, the text alternative and the image as a data URI."""

    title: str
    alt: str
    src: str


def _config() -> dict[str, object]:
    return {
        "style": STYLE,
        "width": WIDTH,
        "height": HEIGHT,
        "js": [],  # no tooltip script (pygal would fetch it from a CDN)
        "disable_xml_declaration": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 2,
        "include_x_axis": True,  # counts start at zero
        "truncate_legend": -1,
        "show_minor_x_labels": False,
        "truncate_label": -1,
        "print_values": False,
        "no_data_text": "No data",
        "margin": 8,
        # pygal leaves out the last row of a legend under the chart without this room.
        "margin_bottom": 30,
    }


def _draw(chart: pygal.graph.graph.Graph, title: str, alt: str) -> Chart:
    svg: str = chart.render(is_unicode=True)
    # Percent-encoded rather than base64: the page's gzip then shrinks each chart to about
    # a tenth (base64 hides the SVG's repetitions from it, and is a third larger).
    return Chart(title=title, alt=alt, src="data:image/svg+xml," + quote(svg, safe=URI_SAFE))


def _labels(chart: pygal.graph.graph.Graph, labels: Sequence[str]) -> None:
    chart.x_labels = list(labels)
    # About six labels along the axis however many points there are, turned aslant only
    # when level ones would run into each other.
    every = max(1, round(len(labels) / 6))
    chart.x_labels_major_every = every
    shown = -(-len(labels) // every)
    longest = max((len(label) for label in labels), default=0)
    chart.x_label_rotation = 30 if shown * longest * CHAR_PX > WIDTH - 80 else 0


def line_chart(
    title: str, labels: Sequence[str], series: Mapping[str, Values], *, alt: str
) -> Chart:
    """Lines over the labels (days), one per series; unknown values are gaps."""
    chart = pygal.Line(**_config(), allow_interruptions=True, show_dots=True, dots_size=2)
    _labels(chart, labels)
    for name, values in series.items():
        chart.add(name, list(values))
    return _draw(chart, title, alt)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Values],
    *,
    alt: str,
    stacked: bool = False,
    percent: bool = False,
) -> Chart:
    """Bars over the labels, one colour per series (stacked when asked)."""
    kind = pygal.StackedBar if stacked else pygal.Bar
    options: dict[str, object] = {**_config()}
    if percent:
        options |= {"range": (0, 100), "value_formatter": lambda v: f"{v:.0f}%"}
    chart = kind(**options)
    _labels(chart, labels)
    for name, values in series.items():
        chart.add(name, list(values))
    return _draw(chart, title, alt)


def horizontal_bars(title: str, values: dict[str, int], *, alt: str) -> Chart:
    """One horizontal bar per category (counts by status)."""
    chart = pygal.HorizontalBar(**_config())
    for name, value in values.items():
        chart.add(name, [value])
    return _draw(chart, title, alt)

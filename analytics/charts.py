"""Server-side SVG charts for the dashboard: no JavaScript, no internet, nothing to serve."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COLORS = ["#2f7ed8", "#e4572e", "#17a589", "#f3a712", "#8e44ad", "#7f8c8d", "#c0392b"]
FONT = 'font-family="sans-serif" font-size="11"'


def _svg(width: int, height: int, body: list[str], title: str) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="analytics-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def line_chart(
    *, title: str, x_labels: list[str], series: list[tuple[str, list[float]]], width: int = 760, height: int = 240
) -> SafeString:
    """Lines over days. `series`: (name, one value per x label)."""
    left, right, top, bottom = 48, 12, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for _name, values in series for v in values), default=0))
    count = max(len(x_labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / top_value

    body = []
    for n in range(5):
        value = top_value * n / 4
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#e5e5e5"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" {FONT} fill="#666">'
            f"{value:g}</text>"
        )
    step = max(1, count // 8)
    for i in range(0, count, step):
        body.append(
            f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" {FONT} fill="#666">'
            f"{escape(x_labels[i])}</text>"
        )
    for k, (name, values) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        body.append(f'<polyline class="series" fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        body.append(
            f'<rect x="{left + k * 150}" y="8" width="10" height="10" fill="{color}"/>'
            f'<text x="{left + 14 + k * 150}" y="17" {FONT}>{escape(name)}</text>'
        )
    return _svg(width, height, body, title)


def bar_chart(*, title: str, rows: list[tuple[str, float, str]], width: int = 520, bar: int = 22) -> SafeString:
    """Horizontal bars: (label, value, text shown after the bar)."""
    left, right, top = 150, 120, 8
    height = top * 2 + max(len(rows), 1) * (bar + 6)
    top_value = max((value for _label, value, _text in rows), default=0) or 1
    body = []
    for i, (label, value, text) in enumerate(rows):
        y = top + i * (bar + 6)
        length = (width - left - right) * value / top_value
        body.append(
            f'<text x="{left - 8}" y="{y + bar / 2 + 4}" text-anchor="end" {FONT}>{escape(label)}</text>'
            f'<rect class="bar" x="{left}" y="{y}" width="{length:.1f}" height="{bar}" '
            f'fill="{COLORS[i % len(COLORS)]}"/>'
            f'<text x="{left + length + 6:.1f}" y="{y + bar / 2 + 4}" {FONT}>{escape(text)}</text>'
        )
    return _svg(width, height, body, title)


def heatmap(
    *, title: str, row_labels: list[str], col_labels: list[str], cells: list[list[float | None]], sizes: list[int]
) -> SafeString:
    """Retention cohorts: one row per cohort, one column per offset, shade by rate (None: not yet)."""
    left, top, cell_w, cell_h, size_w = 86, 24, 74, 20, 56
    width = left + size_w + cell_w * len(col_labels) + 8
    height = top + cell_h * max(len(row_labels), 1) + 8
    body = [f'<text x="{left + size_w / 2}" y="16" text-anchor="middle" {FONT}>n</text>']
    for j, label in enumerate(col_labels):
        cx = left + size_w + j * cell_w + cell_w / 2
        body.append(f'<text x="{cx}" y="16" text-anchor="middle" {FONT}>{escape(label)}</text>')
    for i, label in enumerate(row_labels):
        y = top + i * cell_h
        body.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" {FONT}>{escape(label)}</text>')
        body.append(f'<text x="{left + size_w / 2}" y="{y + 14}" text-anchor="middle" {FONT}>{sizes[i]}</text>')
        for j, rate in enumerate(cells[i]):
            x = left + size_w + j * cell_w
            if rate is None:
                fill, text, ink = "#f4f4f4", "", "#999"
            else:
                # From white to a strong blue as the rate goes from 0 to 100%.
                shade = int(255 - 200 * min(rate, 1))
                fill, text = f"rgb({shade},{shade + 20 if shade < 235 else 255},255)", f"{rate:.0%}"
                ink = "#fff" if rate > 0.55 else "#222"
            body.append(
                f'<rect class="cell" x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}"/>'
                f'<text x="{x + cell_w / 2 - 1}" y="{y + 14}" text-anchor="middle" {FONT} fill="{ink}">{text}</text>'
            )
    return _svg(width, height, body, title)

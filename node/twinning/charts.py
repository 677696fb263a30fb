"""A bar chart of guest days per month as server-rendered SVG (no script, no build): for each
month, the days our guests spent here and our members spent at partners, stacked by partner.

Every text in it (partner names come from other nodes) is XML-escaped; the chart is a
``Markup`` the reports page places as it is.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 36, 28, 12
COLOURS = ("#1f5f8b", "#e07a1f", "#3a8f4b", "#8b3a8f", "#b5a21f", "#1f8b86")


def bar_chart(months: list[tuple[str, dict[str, int], dict[str, int]]]) -> Markup:
    """``months``: (YYYY-MM, hosted days by partner, abroad days by partner), oldest first."""
    partners = sorted({p for _, hosted, abroad in months for p in (*hosted, *abroad)})
    colour = {p: COLOURS[i % len(COLOURS)] for i, p in enumerate(partners)}
    peak = max([1, *(max(sum(h.values()), sum(a.values())) for _, h, a in months)])
    plot_h = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    slot = (WIDTH - MARGIN_LEFT) / max(1, len(months))
    bar = slot * 0.32
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT + 20 * len(partners)}" '
        'role="img" aria-labelledby="chart-title" class="chart">',
        '<title id="chart-title">Guest days per month: hosted here (left bar) and our members '
        "at partners (right bar), by partner</title>",
        f'<line x1="{MARGIN_LEFT}" y1="{HEIGHT - MARGIN_BOTTOM}" x2="{WIDTH}" '
        f'y2="{HEIGHT - MARGIN_BOTTOM}" stroke="#888"/>',
        f'<text x="2" y="{MARGIN_TOP + 10}" font-size="11">{peak}</text>',
    ]
    for index, (month, hosted, abroad) in enumerate(months):
        x0 = MARGIN_LEFT + index * slot + slot * 0.15
        for offset, counts, label in ((0.0, hosted, "hosted"), (bar + 4, abroad, "abroad")):
            y: float = HEIGHT - MARGIN_BOTTOM
            for partner in partners:
                days = counts.get(partner, 0)
                if not days:
                    continue
                height = plot_h * days / peak
                y -= height
                parts.append(
                    f'<rect x="{x0 + offset:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                    f'height="{height:.1f}" fill="{colour[partner]}">'
                    f"<title>{escape(month)} · {label} · {escape(partner)}: {days}</title></rect>"
                )
        parts.append(f'<text x="{x0:.1f}" y="{HEIGHT - 8}" font-size="11">{escape(month)}</text>')
    for index, partner in enumerate(partners):
        y = HEIGHT + 14 + 20 * index
        parts.append(f'<rect x="{MARGIN_LEFT}" y="{y - 10}" width="12" height="12" '
                     f'fill="{colour[partner]}"/>')  # fmt: skip
        parts.append(
            f'<text x="{MARGIN_LEFT + 18}" y="{y}" font-size="12">{escape(partner)}</text>'
        )
    parts.append("</svg>")
    # Every outside text above went through escape(); the rest is our own markup and numbers.
    return Markup("".join(parts))  # noqa: S704

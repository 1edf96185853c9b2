"""The workflow diagram as inline SVG, laid out on the server from the workflow definition.

A simple layered layout: a state's layer is its shortest distance (in transitions) from the
initial state; the states of one layer are stacked in the order the workflow declares them.
Layers run top to bottom so that the diagram stays legible on a narrow screen.
"""

from __future__ import annotations

from collections import deque
from html import escape

from ..workflows.base import Workflow
from .i18n import pick

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 150, 40, 24, 46, 12


def layers(wf: Workflow) -> list[list[str]]:
    """The states by layer (distance from the initial state); unreachable ones last."""
    edges = _edges(wf)
    depth = {wf.initial: 0}
    todo = deque([wf.initial])
    while todo:
        state = todo.popleft()
        for source, dest in edges:
            if source == state and dest not in depth:
                depth[dest] = depth[state] + 1
                todo.append(dest)
    last = max(depth.values()) + 1
    out: list[list[str]] = [[] for _ in range(last + 1)]
    for state in wf.states:
        out[depth.get(state, last)].append(state)
    return [layer for layer in out if layer]


def _edges(wf: Workflow) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for t in wf.transitions:
        if t.dest is None:
            continue
        for source in t.source:
            if source != t.dest and (source, t.dest) not in seen:
                seen.append((source, t.dest))
    return seen


def svg(wf: Workflow, current: str, lang: str, title: str) -> str:
    """The diagram of ``wf`` with ``current`` highlighted, as an ``<svg>`` element."""
    rows = layers(wf)
    widest = max(len(r) for r in rows)
    width = PAD * 2 + widest * BOX_W + (widest - 1) * GAP_X
    height = PAD * 2 + len(rows) * BOX_H + (len(rows) - 1) * GAP_Y
    where: dict[str, tuple[float, float]] = {}
    for r, row in enumerate(rows):
        span = len(row) * BOX_W + (len(row) - 1) * GAP_X
        x0 = (width - span) / 2
        for i, state in enumerate(row):
            where[state] = (x0 + i * (BOX_W + GAP_X), PAD + r * (BOX_H + GAP_Y))
    parts = [
        f'<svg class="diagram" role="img" aria-labelledby="diagram-title" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="diagram-title">{escape(title)}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'class="arrowhead"/></marker></defs>',
    ]
    for source, dest in _edges(wf):
        (sx, sy), (dx, dy) = where[source], where[dest]
        x1, x2 = sx + BOX_W / 2, dx + BOX_W / 2
        if dy > sy:
            y1, y2 = sy + BOX_H, dy
        elif dy < sy:
            y1, y2 = sy, dy + BOX_H
        else:  # same layer: from side to side
            y1 = y2 = sy + BOX_H / 2
            x1, x2 = (sx + BOX_W, dx) if dx > sx else (sx, dx + BOX_W)
        parts.append(f'<line class="edge" x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" '
                     f'y2="{y2:.0f}" marker-end="url(#arrow)"/>')  # fmt: skip
    for state, (x, y) in where.items():
        cls = "node current" if state == current else "node"
        if state in wf.final:
            cls += " final"
        label = escape(pick(lang, wf.state_label(state)))
        current_attr = ' aria-current="step"' if state == current else ""
        parts.append(
            f'<g class="{cls}" data-state="{escape(state)}"{current_attr}>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="6"/>'
            f'<text x="{x + BOX_W / 2:.0f}" y="{y + BOX_H / 2 + 5:.0f}" '
            f'text-anchor="middle">{label}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)

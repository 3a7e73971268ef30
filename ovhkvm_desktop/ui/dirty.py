"""Merge the many small rectangles of a screen update into a few areas worth repainting.

QEMU sends a changing 1920x1080 screen as about 1,400 rectangles, most a few rows tall. Asking
Qt to repaint each one costs more than painting them: the changes are marked on a coarse grid of
tiles, and the marked tiles are returned as horizontal runs merged with identical runs below.
When those cover most of their bounding box, the bounding box alone is cheaper still.
"""

from __future__ import annotations

import numpy as np

from ovhkvm_desktop.rfb.framebuffer import Rect

#: Up to this many rectangles are repainted as they are.
FEW = 16
#: Tile edge in pixels.
TILE = 64
#: When the merged areas cover this share of their bounding box, repaint the box.
BOX_SHARE = 0.6


def coalesce(rects: list[Rect], width: int, height: int, tile: int = TILE) -> list[Rect]:
    """Areas inside a ``width`` x ``height`` screen that together cover every rectangle."""
    rects = [r for r in rects if r.width > 0 and r.height > 0]
    if len(rects) <= FEW:
        return [_clip(r, width, height) for r in rects if r.x < width and r.y < height]
    cols = -(-width // tile)
    rows = -(-height // tile)
    grid = np.zeros((rows, cols), bool)
    spans = np.array(rects, np.int64)  # x, y, w, h
    x0 = spans[:, 0] // tile
    y0 = spans[:, 1] // tile
    x1 = np.minimum((spans[:, 0] + spans[:, 2] - 1) // tile, cols - 1)
    y1 = np.minimum((spans[:, 1] + spans[:, 3] - 1) // tile, rows - 1)
    keep = (x0 < cols) & (y0 < rows)
    small = keep & (x1 - x0 <= 1) & (y1 - y0 <= 1)
    # A rectangle at most two tiles across in each direction is covered by its four corners.
    for ys, xs in ((y0, x0), (y0, x1), (y1, x0), (y1, x1)):
        grid[ys[small], xs[small]] = True
    for i in np.flatnonzero(keep & ~small):
        grid[y0[i] : y1[i] + 1, x0[i] : x1[i] + 1] = True
    areas = _runs(grid)
    out = [
        _clip(Rect(c0 * tile, r0 * tile, (c1 - c0) * tile, (r1 - r0) * tile), width, height)
        for r0, r1, c0, c1 in areas
    ]
    return _maybe_box(out)


def _runs(grid: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Marked tiles as (row0, row1, col0, col1) blocks: row runs merged down when identical."""
    open_blocks: dict[tuple[int, int], int] = {}  # (col0, col1) → first row
    done: list[tuple[int, int, int, int]] = []
    padded = np.zeros(grid.shape[1] + 2, np.int8)
    for row in range(grid.shape[0]):
        padded[1:-1] = grid[row]
        edges = np.flatnonzero(np.diff(padded))
        runs = {(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)}
        for run in list(open_blocks):
            if run not in runs:
                done.append((open_blocks.pop(run), row, *run))
        for run in runs:
            open_blocks.setdefault(run, row)
    done += [(first, grid.shape[0], *run) for run, first in open_blocks.items()]
    return done


def _maybe_box(rects: list[Rect]) -> list[Rect]:
    if len(rects) < 2:
        return rects
    left = min(r.x for r in rects)
    top = min(r.y for r in rects)
    right = max(r.x + r.width for r in rects)
    bottom = max(r.y + r.height for r in rects)
    box = Rect(left, top, right - left, bottom - top)
    if sum(r.area for r in rects) >= BOX_SHARE * box.area:
        return [box]
    return rects


def _clip(r: Rect, width: int, height: int) -> Rect:
    return Rect(r.x, r.y, min(r.width, width - r.x), min(r.height, height - r.y))

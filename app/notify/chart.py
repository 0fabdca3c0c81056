"""The destination's series as a PNG for e-mail: mail clients show PNG, most refuse SVG.

Drawn pixel by pixel with the standard library (zlib), so no imaging package is needed: the
spread (low to high) as a pale band, the estimate as a line, a baseline and three gridlines. The
words (the peak, the first and last day) go in the e-mail's HTML beside it.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

from app.dashboard.charts import ChartPoint

WHITE = (255, 255, 255)
GRID = (225, 228, 232)
AXIS = (120, 124, 130)
BAND = (198, 219, 239)
LINE = (33, 102, 172)


def _png(width: int, height: int, pixels: list[bytearray]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


@lru_cache(maxsize=32)
def png_chart(points: tuple[ChartPoint, ...], width: int = 560, height: int = 180) -> bytes:
    """The series (oldest first) drawn on `width` x `height` pixels; one point is a flat line.
    Kept for the last few series: a burst to many e-mail subscribers draws each chart once."""
    pixels = [bytearray(WHITE * width) for _ in range(height)]

    def put(x: int, y: int, color: tuple[int, int, int]) -> None:
        if 0 <= x < width and 0 <= y < height:
            pixels[y][3 * x:3 * x + 3] = bytes(color)

    pad = 8
    top, bottom = pad, height - pad - 1
    peak = max([p.high for p in points] + [p.estimate for p in points] + [1])
    for fraction in (0.25, 0.5, 0.75, 1.0):
        y = bottom - round((bottom - top) * fraction)
        for x in range(pad, width - pad):
            put(x, y, GRID)
    if points:
        first, last = points[0].day.toordinal(), points[-1].day.toordinal()
        span = max(last - first, 1)

        def scale_y(value: float) -> int:
            return bottom - round((bottom - top) * value / peak)

        def at(x: int) -> tuple[float, float, float]:
            """Estimate, low and high at column x, between the points either side."""
            day = first + (x - pad) * span / (width - 2 * pad - 1)
            before = points[0]
            for point in points:
                if point.day.toordinal() <= day:
                    before = point
                else:
                    after = point
                    t = (day - before.day.toordinal()) / max(
                        after.day.toordinal() - before.day.toordinal(), 1)
                    return tuple(  # type: ignore[return-value]
                        a + (b - a) * t for a, b in ((before.estimate, after.estimate),
                                                     (before.low, after.low),
                                                     (before.high, after.high)))
            return float(before.estimate), float(before.low), float(before.high)

        previous_y: int | None = None
        for x in range(pad, width - pad):
            estimate, low, high = at(x)
            for y in range(scale_y(high), scale_y(low) + 1):
                put(x, y, BAND)
            y = scale_y(estimate)
            lo, hi = (y, y) if previous_y is None else sorted((y, previous_y))
            for yy in range(lo - 1, hi + 2):  # a line two or three pixels thick
                put(x, yy, LINE)
            previous_y = y
    for x in range(pad, width - pad):
        put(x, bottom, AXIS)
    return _png(width, height, pixels)

"""PNG files from a figure's pixels: the report's raster figures (Word, 300 dpi).

The encoding is the PNG standard's simplest (W3C PNG Specification, 2nd edition / ISO/IEC
15948:2004): the 8-bit RGB (or RGBA) scanlines, each with filter type 0 ("None"), deflated
by zlib into one IDAT chunk, with the resolution in a pHYs chunk and the software in a tEXt
chunk. For the report's figures (flat colours on white) this is faster than Pillow's encoder
at the same zlib level, which chooses a filter for every scanline, and no larger: the
example's six figures at 300 dpi take ~160 ms against ~370 ms, and 1.46 MB against 1.54 MB
(``benchmarks/bench_run.py`` times the Word report, whose figures these are). Any PNG
reader decodes it (the tests read it back with Pillow and python-docx).
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

__all__ = ["encode_png", "COMPRESS_LEVEL"]

#: zlib level of the PNGs: 1, the fastest that compresses (the report's figures are mostly
#: flat colour, which level 1 already packs to a few percent of the raw pixels)
COMPRESS_LEVEL = 1

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: colour types of the PNG header (IHDR) by number of channels
_COLOUR_TYPE = {3: 2, 4: 6}  # truecolour, truecolour with alpha


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and the CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


#: rows of pixels filtered and deflated at a time
_BAND_ROWS = 256


def _scanlines(band: Any, channels: int) -> Any:
    """The PNG scanlines of ``band`` (rows x width x RGBA, contiguous): each row's filter
    byte (0, "None") and its pixels' RGB (``channels`` 3) or RGBA (4) bytes."""
    import numpy as np

    rows, width = band.shape[:2]
    if channels == 4:
        values = band.reshape(rows, width * 4)
    else:
        from PIL import Image  # matplotlib's own dependency

        # the alpha channel dropped by Pillow's conversion: a third of the time of
        # numpy's strided copy of three bytes out of every four
        rgba = Image.frombuffer("RGBA", (width, rows), band, "raw", "RGBA", 0, 1)
        rgb = np.frombuffer(rgba.convert("RGB").tobytes(), dtype=np.uint8)
        values = rgb.reshape(rows, width * 3)
    lines = np.empty((rows, 1 + width * channels), dtype=np.uint8)
    lines[:, 0] = 0
    lines[:, 1:] = values
    return lines


def encode_png(pixels: Any, dpi: float, software: str | None = None) -> bytes:
    """``pixels`` (height x width x 4 RGBA, uint8, as matplotlib's Agg canvas holds them) as
    PNG bytes: RGB when every pixel is opaque (a quarter fewer bytes to deflate, the same
    picture), else RGBA; ``dpi`` recorded as pixels per metre (pHYs, rounded as Pillow and
    matplotlib round it) and ``software`` as the "Software" text."""
    import numpy as np

    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    if pixels.ndim != 3 or pixels.shape[2] != 4 or 0 in pixels.shape:
        raise ValueError(f"RGBA pixels (height, width, 4) expected, not {pixels.shape}")
    height, width = pixels.shape[:2]
    channels = 3 if int(pixels[..., 3].min()) == 255 else 4
    deflate = zlib.compressobj(COMPRESS_LEVEL)
    data = []
    # deflated a band of rows at a time: the scanlines are never all held at once (a
    # 300-dpi figure's are ~20 MB)
    for top in range(0, height, _BAND_ROWS):
        band = pixels[top : top + _BAND_ROWS]
        data.append(deflate.compress(_scanlines(band, channels)))
    data.append(deflate.flush())
    per_metre = int(dpi / 0.0254 + 0.5)
    parts = [
        _SIGNATURE,
        _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPE[channels], 0, 0, 0)),
        _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),  # unit 1: the metre
    ]
    if software:
        parts.append(_chunk(b"tEXt", b"Software\x00" + software.encode("latin-1", "replace")))
    parts.append(_chunk(b"IDAT", b"".join(data)))
    parts.append(_chunk(b"IEND", b""))
    return b"".join(parts)

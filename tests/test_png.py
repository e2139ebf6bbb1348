"""The report's PNG encoder (``mdsrs_core.report.png``): what it writes decodes, in Pillow
and in python-docx (which reads a PNG's size and resolution to place it in Word), to the
exact pixels, colour type and resolution it was given; each chunk carries the CRC the PNG
standard defines; bad input is refused."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest

from mdsrs_core.report.png import encode_png

Image = pytest.importorskip("PIL.Image")


def _pixels(height=601, width=53, opaque=True, seed=1):  # rows in three bands
    rng = np.random.default_rng(seed)
    px = rng.integers(0, 256, size=(height, width, 4), dtype=np.uint8)
    px[:10] = 255  # a white band, as a figure's margins are
    px[..., 3] = 255
    if not opaque:
        px[5, 7, 3] = 0
        px[20:, :, 3] = 128
    return px


def _chunks(png: bytes) -> list[tuple[bytes, bytes, int]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    out, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        out.append((kind, data, crc))
        at += 12 + length
    assert at == len(png)
    return out


def test_an_opaque_image_is_rgb_with_the_exact_pixels():
    px = _pixels()
    image = Image.open(io.BytesIO(encode_png(px, 300)))
    assert image.mode == "RGB" and image.size == (53, 601)
    assert (np.asarray(image) == px[..., :3]).all()


def test_an_image_with_any_transparency_keeps_its_alpha():
    px = _pixels(opaque=False)
    image = Image.open(io.BytesIO(encode_png(px, 300)))
    assert image.mode == "RGBA"
    assert (np.asarray(image) == px).all()


@pytest.mark.parametrize("dpi", [72, 100, 200, 300, 600])
def test_the_resolution_is_recorded_as_pillow_records_it(dpi):
    px = _pixels()
    ours = Image.open(io.BytesIO(encode_png(px, dpi)))
    buffer = io.BytesIO()
    Image.fromarray(px[..., :3]).save(buffer, format="png", dpi=(dpi, dpi))
    pillows = Image.open(buffer)
    assert ours.info["dpi"] == pillows.info["dpi"]
    # pixels per metre are whole: the resolution is within half a pixel per metre
    assert ours.info["dpi"][0] == pytest.approx(dpi, abs=0.5 * 0.0254)


def test_chunks_are_in_order_with_their_crcs_and_the_software_text():
    png = encode_png(_pixels(), 300, "Matplotlib version3.9, https://matplotlib.org/")
    chunks = _chunks(png)
    assert [k for k, _, _ in chunks] == [b"IHDR", b"pHYs", b"tEXt", b"IDAT", b"IEND"]
    for kind, data, crc in chunks:
        assert crc == zlib.crc32(kind + data)
    width, height, depth, colour, *rest = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (width, height, depth, colour, rest) == (53, 601, 8, 2, [0, 0, 0])
    assert chunks[1][1] == struct.pack(">IIB", 11811, 11811, 1)  # 300 dpi in pixels/metre
    assert chunks[2][1] == b"Software\x00Matplotlib version3.9, https://matplotlib.org/"
    raw = zlib.decompress(chunks[3][1])
    assert len(raw) == 601 * (1 + 53 * 3)
    assert raw[:: 1 + 53 * 3] == bytes(601)  # every scanline with filter type 0
    assert Image.open(io.BytesIO(png)).info["Software"].startswith("Matplotlib version3.9")


def test_without_software_there_is_no_text_chunk():
    assert b"tEXt" not in b"".join(k for k, _, _ in _chunks(encode_png(_pixels(), 100)))


def test_python_docx_reads_its_size_and_resolution():
    docx = pytest.importorskip("docx")
    from docx.shared import Inches

    document = docx.Document()
    picture = document.add_picture(io.BytesIO(encode_png(_pixels(300, 600), 300)))
    # 600 x 300 pixels at 300 dpi: 2 x 1 inches
    assert picture.width == pytest.approx(Inches(2), rel=1e-4)
    assert picture.height == pytest.approx(Inches(1), rel=1e-4)


@pytest.mark.parametrize("shape", [(10, 10), (10, 10, 3), (0, 10, 4), (10, 0, 4), (2, 10, 10, 4)])
def test_anything_but_rgba_pixels_is_refused(shape):
    with pytest.raises(ValueError, match="RGBA pixels"):
        encode_png(np.zeros(shape, dtype=np.uint8), 300)


@pytest.mark.parametrize("opaque", [True, False])
def test_a_strided_view_is_encoded_as_its_values(opaque):
    px = _pixels(opaque=opaque)[::-1, ::2]  # flipped, every second column: not contiguous
    image = np.asarray(Image.open(io.BytesIO(encode_png(px, 300))))
    assert image.shape[:2] == px.shape[:2]
    assert (image == (px[..., :3] if opaque else px)).all()

"""Pictures and files of a certificate: the seal picture (PNG, Pillow), the QR code (segno) and the
PDF (reportlab, Chinese text in an embedded subset of a TrueType CJK font, so every reader shows it
and `pdftotext` extracts it; the non-embedded STSong-Light rendered blank without Adobe's language pack).

The PDF carries the seal drawn as vector graphics (red ring, star, the issuer's name on an arc) and
the QR code as vector modules, so both stay sharp at any scale and decode after rasterising.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.colors import Color, black  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4, landscape  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from renshe.core.settings import get_settings

SEAL_RED = (200, 16, 46)
PDF_FONT = "RensheCJK"
# TrueType fonts with Chinese glyphs that reportlab can embed (it cannot embed OpenType/CFF such as
# Noto CJK): Debian's fonts-wqy-zenhei first (`scripts/ensure-pdf-tools` installs it), then others.
TRUETYPE_CJK_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",  # Fedora
    "C:/Windows/Fonts/simhei.ttf",
)


class FontMissing(RuntimeError):
    """No TrueType font with Chinese glyphs is on this machine: a PDF without one is unreadable."""
# Fonts with CJK glyphs for the seal picture, if the machine has one (fonts-noto-cjk, wqy, droid).
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def pdf_font_file() -> str | None:
    """The TrueType CJK font the PDFs embed: `RENSHE_PDF_FONT`, else the first known one present."""
    configured = get_settings().pdf_font
    if configured:
        return configured
    return next((p for p in TRUETYPE_CJK_FILES if Path(p).exists()), None)


@cache
def _register_font(path: str) -> str:
    name = f"{PDF_FONT}-{abs(hash(path)) % 10**8}"
    font = TTFont(name, path, subfontIndex=0) if path.lower().endswith((".ttc", ".otc")) else TTFont(name, path)
    pdfmetrics.registerFont(font)
    return name


def _pdf_font() -> str:
    path = pdf_font_file()
    if path is None or not Path(path).exists():
        raise FontMissing("服务器缺少可嵌入的中文 TrueType 字体，无法生成证照PDF：请安装 fonts-wqy-zenhei"
                          "（apt-get install fonts-wqy-zenhei），或用 RENSHE_PDF_FONT 指定字体文件")
    try:
        return _register_font(path)
    except Exception as exc:  # reportlab raises its own TTFError and plain errors for an unusable file
        raise FontMissing(f"字体文件 {path} 无法嵌入PDF（须为 TrueType .ttf/.ttc）：{exc}") from None


def pdf_font() -> str:
    """The reportlab name of the embedded TrueType CJK font, for other documents (labour contracts); raises
    `FontMissing` naming the fix when the machine has none."""
    return _pdf_font()


def _cjk_font_file() -> str | None:
    return next((p for p in CJK_FONT_FILES if Path(p).exists()), None)


def _star(cx: float, cy: float, outer: float, *, flip_y: bool) -> list[tuple[float, float]]:
    inner = outer * 0.382
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.pi / 2 + i * math.pi / 5
        dy = radius * math.sin(angle)
        points.append((cx + radius * math.cos(angle), cy - dy if flip_y else cy + dy))
    return points


def _arc_angles(count: int, span: float = 250.0) -> list[float]:
    """Angles (degrees, counter-clockwise from east) of characters set clockwise over the top."""
    if count == 1:
        return [90.0]
    start = 90 + span / 2
    step = span / (count - 1)
    return [start - i * step for i in range(count)]


def seal_png(issuer_name: str, issuer_code: str, size: int = 240) -> bytes:
    """The seal picture: red ring, five-pointed star, the issuer's name on the arc and its code below.

    The name needs a font with Chinese glyphs; without one on the machine, the picture carries the
    credit code on the arc instead (the PDF draws the name itself with its CID font either way).
    """
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    c = size / 2
    ring = size * 0.035
    draw.ellipse((ring / 2, ring / 2, size - ring / 2, size - ring / 2), outline=SEAL_RED, width=int(ring))
    draw.polygon(_star(c, c, size * 0.16, flip_y=True), fill=SEAL_RED)
    font_file = _cjk_font_file()
    text = issuer_name if font_file else issuer_code
    font_size = int(size * (0.11 if font_file else 0.075))
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font = ImageFont.truetype(font_file, font_size) if font_file else ImageFont.load_default(font_size)
    except OSError:
        font, text = ImageFont.load_default(font_size), issuer_code
    radius = size * 0.34
    for char, angle in zip(text, _arc_angles(len(text)), strict=True):
        glyph = Image.new("RGBA", (font_size * 2, font_size * 2), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((font_size, font_size), char, font=font, fill=SEAL_RED, anchor="mm")
        rotated = glyph.rotate(angle - 90, resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(math.radians(angle)) - font_size
        y = c - radius * math.sin(math.radians(angle)) - font_size
        image.alpha_composite(rotated, (int(x), int(y)))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def qr_png(payload: str, scale: int = 4) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg_data_uri(payload: str) -> str:
    return str(segno.make(payload, error="m", micro=False).svg_data_uri(scale=3, border=4))


@dataclass(frozen=True)
class PdfContent:
    title: str
    identifier: str
    number: str
    holder: str
    holder_code: str
    rows: Sequence[tuple[str, str]]  # the type's own fields, label and value
    issuer_name: str
    issue_date: str
    validity: str
    seal_name: str
    signer: str
    signed_at: str
    qr_payload: str
    verify_url: str
    status_note: str = ""


def _draw_seal(canvas: Canvas, cx: float, cy: float, radius: float, issuer_name: str) -> None:
    red = Color(SEAL_RED[0] / 255, SEAL_RED[1] / 255, SEAL_RED[2] / 255, alpha=0.85)
    canvas.saveState()
    canvas.setStrokeColor(red)
    canvas.setFillColor(red)
    canvas.setLineWidth(radius * 0.06)
    canvas.circle(cx, cy, radius * 0.96, stroke=1, fill=0)
    star = _star(cx, cy, radius * 0.32, flip_y=False)
    path = canvas.beginPath()
    path.moveTo(*star[0])
    for point in star[1:]:
        path.lineTo(*point)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)
    font_size = radius * 0.24
    canvas.setFont(_pdf_font(), font_size)
    for char, angle in zip(issuer_name, _arc_angles(len(issuer_name)), strict=True):
        canvas.saveState()
        rad = math.radians(angle)
        canvas.translate(cx + radius * 0.70 * math.cos(rad), cy + radius * 0.70 * math.sin(rad))
        canvas.rotate(angle - 90)
        canvas.drawCentredString(0, -font_size * 0.35, char)
        canvas.restoreState()
    canvas.restoreState()


def _draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    qr = segno.make(payload, error="m", micro=False)
    matrix = [list(row) for row in qr.matrix]
    count = len(matrix)
    border = 4
    module = size / (count + 2 * border)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(black)
    for r, row in enumerate(matrix):
        run_start = None
        for col in range(count + 1):
            dark = col < count and bool(row[col])
            if dark and run_start is None:
                run_start = col
            elif not dark and run_start is not None:
                canvas.rect(x + (border + run_start) * module, y + size - (border + r + 1) * module,
                            (col - run_start) * module, module, stroke=0, fill=1)
                run_start = None
    canvas.restoreState()


def certificate_pdf(content: PdfContent) -> bytes:
    """One landscape A4 page: title, holder, the type's fields, metadata, seal and QR code."""
    out = io.BytesIO()
    width, height = landscape(A4)
    font = _pdf_font()
    # The initial font is the embedded one too, or reportlab declares a non-embedded Helvetica.
    canvas = Canvas(out, pagesize=(width, height), pageCompression=1, initialFontName=font)
    canvas.setTitle(f"{content.title} {content.identifier}")
    canvas.setAuthor(content.issuer_name)
    canvas.setSubject("电子证照 GB/T 36901-36906")
    canvas.setStrokeColorRGB(0.55, 0.1, 0.12)
    canvas.setLineWidth(3)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    canvas.setFillColorRGB(0.1, 0.1, 0.1)
    canvas.setFont(font, 30)
    canvas.drawCentredString(width / 2, height - 40 * mm, content.title)
    canvas.setFont(font, 11)
    canvas.drawCentredString(width / 2, height - 48 * mm, f"证照编号：{content.number}")
    rows: list[tuple[str, str]] = [("持证人", content.holder), ("证件号码", content.holder_code),
                                   *content.rows, ("发证机关", content.issuer_name), ("发证日期", content.issue_date),
                                   ("有效期", content.validity)]
    y = height - 66 * mm
    for label, value in rows:
        canvas.setFont(font, 14)
        canvas.drawRightString(88 * mm, y, f"{label}：")
        canvas.drawString(92 * mm, y, value)
        y -= 10 * mm
    canvas.setFont(font, 8.5)
    canvas.drawString(24 * mm, 30 * mm, f"证照标识：{content.identifier}")
    canvas.drawString(24 * mm, 25 * mm,
                      f"签发人：{content.signer}  签章时间：{content.signed_at}  印章：{content.seal_name}")
    canvas.drawString(24 * mm, 20 * mm, f"核验：扫描右侧二维码，或访问 {content.verify_url}")
    if content.status_note:
        canvas.setFillColorRGB(0.7, 0.05, 0.1)
        canvas.setFont(font, 16)
        canvas.drawCentredString(width / 2, 40 * mm, content.status_note)
    _draw_seal(canvas, width - 110 * mm, 62 * mm, 21 * mm, content.issuer_name)
    _draw_qr(canvas, content.qr_payload, width - 72 * mm, 20 * mm, 52 * mm)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def read_qr(data: bytes) -> list[str]:
    """The QR codes in an uploaded image or PDF (every page rendered at 2x, up to 5 pages)."""
    import zxingcpp

    images: list[Image.Image] = []
    if data[:5] == b"%PDF-":
        import pypdfium2  # type: ignore[import-untyped]

        document = pypdfium2.PdfDocument(data)
        try:
            for index in range(min(len(document), 5)):
                images.append(document[index].render(scale=2).to_pil())
        finally:
            document.close()
    else:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            images.append(opened.convert("RGB"))
    found: list[str] = []
    for image in images:
        found.extend(code.text for code in zxingcpp.read_barcodes(image) if code.text)
    return found

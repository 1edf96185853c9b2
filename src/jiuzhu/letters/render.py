"""A letter as PDF: fpdf2 lays out the text in Noto Sans CJK SC, segno draws the QR code.

The PDF is a function of the :class:`~.content.LetterContent` alone: its creation date is the
event's instant, its metadata (subject, keywords) carry the letter's facts and QR text, and
fpdf2's file id is derived from the content, so the same letter renders byte for byte the same.
The font is Debian's fonts-noto-cjk (``NotoSansCJK-Regular.ttc`` and ``-Bold.ttc``, face "Noto
Sans CJK SC"), or the font file ``$JIUZHU_FONT_FILE`` names; fpdf2 embeds only the glyphs used.
"""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..audit.canonical import canonical_json
from ..errors import StorageError
from .content import LetterContent, zh_date

ENV_FONT = "JIUZHU_FONT_FILE"
NOTO = Path("/usr/share/fonts/opentype/noto")
REGULAR, BOLD = NOTO / "NotoSansCJK-Regular.ttc", NOTO / "NotoSansCJK-Bold.ttc"
FACE = "Noto Sans CJK SC"
FAMILY = "cjk"


class FontMissing(StorageError):
    """No CJK font to print with: install fonts-noto-cjk or set $JIUZHU_FONT_FILE."""


def font_files() -> tuple[Path, Path]:
    """(regular, bold): ``$JIUZHU_FONT_FILE`` for both, or Debian's Noto Sans CJK."""
    named = os.environ.get(ENV_FONT)
    regular, bold = (Path(named), Path(named)) if named else (REGULAR, BOLD)
    if not regular.is_file():
        where = f"${ENV_FONT} names {regular}" if named else f"{regular} is not installed"
        raise FontMissing(
            f"no CJK font to print letters with: {where}; install the Debian package "
            f"fonts-noto-cjk (apt-get install fonts-noto-cjk) or set {ENV_FONT} to a font file "
            "with Chinese glyphs (.ttf, .otf or .ttc)",
            f"缺少打印文书所需的中文字体：{regular} 不存在；请安装 Debian 软件包 fonts-noto-cjk"
            f"（apt-get install fonts-noto-cjk），或用环境变量 {ENV_FONT} 指定含中文字形的字体文件",
            font=str(regular),
        )
    return regular, bold if bold.is_file() else regular


@lru_cache(maxsize=8)
def face_number(path: Path) -> int:
    """The index of the face "Noto Sans CJK SC" in a font collection (0 if absent or a single
    font)."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

    try:
        collection = TTCollection(str(path), lazy=True)
        for number, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == FACE:
                return number
    except Exception as exc:  # a damaged or foreign file: say so, never a traceback
        raise FontMissing(f"the font file {path} cannot be read ({type(exc).__name__})",
                          f"字体文件 {path} 无法读取") from None  # fmt: skip
    return 0


def pdf_bytes(letter: LetterContent) -> bytes:
    """Render ``letter`` as an A4 PDF."""
    import segno
    from fpdf import FPDF

    regular, bold = font_files()
    pdf = FPDF(format="A4")
    pdf.set_creation_date(letter.occurred_at)
    pdf.set_title(f"{letter.title} {letter.case_no}")
    pdf.set_author(letter.unit_name)
    pdf.set_subject(canonical_json(letter.facts))  # what `jiuzhu letter check --pdf` reads
    pdf.set_keywords(letter.qr)
    pdf.set_creator("jiuzhu")
    pdf.set_producer("jiuzhu")
    try:
        pdf.add_font(FAMILY, "", str(regular), collection_font_number=face_number(regular))
        pdf.add_font(FAMILY, "B", str(bold), collection_font_number=face_number(bold))
    except FontMissing:
        raise
    except Exception as exc:
        raise FontMissing(f"the font file {regular} cannot be used ({type(exc).__name__})",
                          f"字体文件 {regular} 无法使用") from None  # fmt: skip
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=48)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font(FAMILY, "", 11)
    pdf.cell(width, 7, letter.unit_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", 19)
    pdf.cell(width, 13, letter.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    pdf.cell(width, 5, letter.title_en, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FAMILY, "", 10)
    pdf.cell(width, 6, f"案件编号 case no.：{letter.case_no}    文书日期 date：{zh_date(letter.day)}",
             align="R", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(4)
    pdf.set_font(FAMILY, "", 12)
    _paragraph(pdf, width, letter.addressee)
    for paragraph in letter.paragraphs:
        _paragraph(pdf, width, paragraph)
    if letter.rows:
        pdf.ln(2)
        pdf.set_font(FAMILY, "", 10.5)
        widths = (10, 38, 32, 20) if len(letter.header) == 4 else (55, 45)
        with pdf.table(line_height=7, first_row_as_headings=True, col_widths=widths,
                       headings_style=_headings()) as table:  # fmt: skip
            for cells in (letter.header, *letter.rows):
                row = table.row()
                for cell in cells:
                    row.cell(cell)
        pdf.ln(2)
    pdf.set_font(FAMILY, "", 12)
    for paragraph in letter.after:
        _paragraph(pdf, width, paragraph)
    pdf.ln(6)
    for line in letter.signature:
        pdf.cell(width, 10, line, align="R", new_x="LMARGIN", new_y="NEXT")
    if not letter.signature:
        pdf.cell(width, 8, f"{letter.unit_name}（盖章 seal）", align="R",
                 new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        pdf.cell(width, 8, zh_date(letter.day), align="R", new_x="LMARGIN", new_y="NEXT")
    _check_block(pdf, letter, segno.make(letter.qr, error="m"))
    return bytes(pdf.output())


def _paragraph(pdf: Any, width: float, text: str) -> None:
    pdf.multi_cell(width, 8, text, align="L", new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
    pdf.ln(1)


def _headings() -> object:
    from fpdf.fonts import FontFace

    return FontFace(family=FAMILY, emphasis="BOLD", fill_color=(235, 235, 235))


def _check_block(pdf: object, letter: LetterContent, qr: object) -> None:
    """The check code at the foot of the last page: the QR code and the code in text."""
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    image = io.BytesIO()
    qr.save(image, kind="png", scale=4, border=2)  # type: ignore[attr-defined]
    top = pdf.h - 44  # below the text: its page break leaves the last 48 mm free
    pdf.set_auto_page_break(False)
    pdf.image(image, x=pdf.w - 22 - 30, y=top, w=30, h=30)
    pdf.set_xy(22, top + 4)
    pdf.set_font(FAMILY, "", 9)
    lines = (f"校验码 check code：{letter.code_grouped}",
             f"案件编号 case no.：{letter.case_no}    事件序号 event seq：{letter.seq}",
             "核验 to check：jiuzhu letter check --code " + letter.code_grouped
             + f" --case {letter.case_no}",
             "本文书由 jiuzhu 根据案件事件记录生成，校验码与案件哈希链绑定。")  # fmt: skip
    for line in lines:
        pdf.cell(pdf.w - 22 - 22 - 34, 5.5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(22)


__all__ = ["ENV_FONT", "FontMissing", "face_number", "font_files", "pdf_bytes"]

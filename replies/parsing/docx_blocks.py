"""Word (.docx) → blocks: paragraphs and table rows in document order."""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from .labels import is_bare_label
from .result import ParseError

#: The largest `word/document.xml` read (uncompressed): guards against ZIP bombs.
MAX_DOCUMENT_XML_BYTES = 64 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _row_text(cells: list[str]) -> str:
    rendered = []
    for cell in cells:
        cell = cell.strip()
        rendered.append(
            cell + "：" if cell and is_bare_label(cell) and not cell.endswith(("：", ":")) else cell
        )
    return "\t".join(rendered)


def _blocks_with_python_docx(data: bytes) -> list[str]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    blocks: list[str] = []
    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            blocks.append(Paragraph(child, document).text)
        elif child.tag == f"{_W}tbl":
            for row in Table(child, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    if cells and cells[-1] == cell.text:
                        continue  # merged cells repeat their text
                    cells.append(cell.text)
                if any("\n" in cell for cell in cells) and not any(
                    is_bare_label(c.strip()) for c in cells
                ):
                    for cell in cells:
                        blocks.extend(cell.split("\n"))
                else:
                    blocks.append(_row_text(cells))
    return blocks


def _blocks_with_xml(xml: bytes) -> list[str]:
    """A streaming read of `document.xml`: one block per `w:p`, tabs and breaks kept."""
    blocks: list[str] = []
    current: list[str] = []
    for event, element in etree.iterparse(
        io.BytesIO(xml), events=("end",), huge_tree=True, resolve_entities=False
    ):
        if event != "end":
            continue
        tag = element.tag
        if tag == f"{_W}t" and element.text:
            current.append(element.text)
        elif tag in (f"{_W}tab",):
            current.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            current.append("\n")
        elif tag == f"{_W}p":
            blocks.extend("".join(current).split("\n"))
            current = []
            element.clear()
    return blocks


def docx_blocks(data: bytes) -> tuple[list[str], list[str]]:
    """Blocks of text and warnings. Raises ParseError when the archive cannot be read."""
    warnings: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_DOCUMENT_XML_BYTES:
                raise ParseError("docx: word/document.xml is too large to read")
            xml = archive.read(info)
    except ParseError:
        raise
    except Exception as error:
        raise ParseError(f"docx: unreadable archive ({type(error).__name__})") from error
    try:
        return _blocks_with_python_docx(data), warnings
    except Exception as error:  # python-docx rejects some valid-enough files; read the XML
        warnings.append(
            f"docx: python-docx failed ({type(error).__name__}); read document.xml directly"
        )
    try:
        return _blocks_with_xml(xml), warnings
    except Exception as error:
        raise ParseError(f"docx: unreadable document.xml ({type(error).__name__})") from error

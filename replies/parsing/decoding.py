"""Bytes → text: format sniffing and charset choice.

Order of trust: a byte-order mark; then valid UTF-8 (multi-byte UTF-8 sequences almost never
occur by accident in GBK text, while pages re-saved as UTF-8 often keep an old `gb2312`
declaration); then a declared charset (HTML `<meta>`); then strict GB18030; then
charset-normalizer as a last resort.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass, field

from .result import ParseError

#: GBK and GB2312 are subsets of GB18030: decoding with the superset never loses text that
#: the declared codec would have read, and survives the characters pages use beyond it.
_GB_FAMILY = {"gbk", "gb2312", "gb_2312-80", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"}

_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]{0,400}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I
)
_HTML_SNIFF_RE = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|meta|title|div|p|table|span|br)\b", re.I
)

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
)


@dataclass
class Decoded:
    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def is_docx(data: bytes) -> bool:
    """A ZIP archive holding `word/document.xml`, whatever the file is called."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError):
        return False


def looks_like_html(text_head: str, filename: str | None) -> bool:
    """HTML when the name says so or the first kilobytes carry HTML tags."""
    if filename and filename.lower().endswith(
        (".html", ".htm", ".shtml", ".xhtml", ".jsp", ".asp", ".aspx", ".php")
    ):
        return True
    return bool(_HTML_SNIFF_RE.search(text_head.encode("utf-8", "ignore")[:8192]))


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML `<meta>` declares in the first 8 KB, lower-cased."""
    match = _META_CHARSET_RE.search(data[:8192])
    if not match:
        return None
    name = match.group(1).decode("ascii", "ignore").strip().lower()
    try:
        return codecs.lookup(name).name if name not in _GB_FAMILY else name
    except LookupError:
        return None


def _codec_for(name: str) -> str:
    return "gb18030" if name in _GB_FAMILY or name.replace("_", "-") in _GB_FAMILY else name


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _gb_name(data: bytes, codec: str) -> str:
    """Which GB encoding the bytes are: `gbk` when GBK reads them all (a `gb2312`
    declaration is often wrong about that), `gb18030` when they need its four-byte forms.
    The text itself is always decoded with GB18030, which reads GBK identically."""
    if codec != "gb18030":
        return codec
    return "gbk" if _try(data, "gbk") is not None else "gb18030"


def _nearly(data: bytes, codec: str) -> str | None:
    """The text when decoding with replacement loses only a handful of characters."""
    text = data.decode(codec, errors="replace")
    bad = text.count("\ufffd")
    return text if bad <= max(3, len(text) // 2000) else None


def decode_bytes(data: bytes) -> Decoded:
    """Decode `data`, naming the codec actually used. Raises ParseError when nothing fits."""
    for bom, codec, reported in _BOMS:
        if data.startswith(bom):
            text = _try(data, codec)
            if text is not None:
                return Decoded(text, reported)
            text = data[len(bom) :].decode(codec.replace("-sig", ""), errors="replace")
            return Decoded(
                text, reported, [f"encoding: invalid {reported} bytes after the BOM replaced"]
            )

    warnings: list[str] = []
    declared = declared_charset(data)
    utf8 = _try(data, "utf-8")
    if utf8 is not None:
        if declared and declared not in ("utf-8", "utf8") and not utf8.isascii():
            warnings.append(
                f"encoding: page declares {declared} but its bytes are UTF-8; read as utf-8"
            )
        return Decoded(utf8, "utf-8", warnings)

    if declared and declared not in ("utf-8", "utf8"):
        codec = _codec_for(declared)
        text = _try(data, codec)
        if text is not None:
            return Decoded(text, _gb_name(data, codec), warnings)
        warnings.append(
            f"encoding: page declares {declared} but its bytes do not decode as {codec}"
        )
    elif declared:
        warnings.append("encoding: page declares utf-8 but its bytes are not UTF-8")

    # A few bad bytes (a truncated download, one corrupt character) should not push a UTF-8
    # page into GB18030, which decodes UTF-8 bytes into plausible-looking mojibake.
    nearly = _nearly(data, "utf-8")
    if nearly is not None:
        warnings.append("encoding: a few invalid UTF-8 bytes replaced")
        return Decoded(nearly, "utf-8", warnings)

    text = _try(data, "gb18030")
    if text is not None:
        return Decoded(text, _gb_name(data, "gb18030"), warnings)
    nearly = _nearly(data, "gb18030")
    if nearly is not None:
        warnings.append("encoding: a few invalid GB18030 bytes replaced")
        return Decoded(nearly, "gb18030", warnings)

    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:1_000_000]).best()
    except Exception:  # the detector is a best effort; its failure means "unknown"
        best = None
    if best is not None and best.encoding:
        text = _try(data, best.encoding)
        if text is None:
            text = data.decode(best.encoding, errors="replace")
            warnings.append(
                f"encoding: undecodable bytes replaced while reading as {best.encoding}"
            )
        warnings.append(f"encoding: guessed {best.encoding} by detection")
        return Decoded(text, best.encoding, warnings)
    raise ParseError("undecodable: not UTF-8, GB18030 or any detectable encoding")

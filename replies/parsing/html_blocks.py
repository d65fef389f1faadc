"""HTML → raw lines, plus what the `<head>` says (title, meta tags).

The page is read as a stream of start/end/text events, never recursively: lxml builds the
tree (fast, forgiving) and `iterwalk` walks it iteratively; when libxml2 gives up (its depth
limit on deeply nested tags), a linear tokenizer over the markup produces the same events.
The renderer turns block elements into line breaks and table rows into tab-separated lines,
so the metadata table reads like the `label：value` lines of a text capture.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from .labels import is_bare_label

_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "iframe", "select", "option", "textarea",
     "button", "svg", "object", "embed", "map", "canvas", "audio", "video"}
)  # fmt: skip
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "div",
     "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
     "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
     "table", "tbody", "thead", "tfoot", "tr", "ul", "caption", "body", "html", "font-block"}
)  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_ATTR_RE = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_:.]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_TAG_NAME_RE = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9:-]*)")

Event = tuple[str, str, dict[str, str] | str | None]


@dataclass
class HtmlPage:
    lines: list[str]
    title_tag: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _attributes(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw[:4000]):
        value = match.group(2) or ""
        if value[:1] in "\"'":
            value = value[1:-1]
        attrs[match.group(1).lower()] = html.unescape(value)
    return attrs


def _events_from_tokenizer(markup: str) -> Iterator[Event]:
    """A linear scan over the markup: every `find` moves forward, nothing backtracks."""
    lower = markup.lower()
    position = 0
    length = len(markup)
    while position < length:
        lt = markup.find("<", position)
        if lt < 0:
            yield ("text", "", html.unescape(markup[position:]))
            return
        if lt > position:
            yield ("text", "", html.unescape(markup[position:lt]))
        if markup.startswith("<!--", lt):
            end = markup.find("-->", lt + 4)
            if end < 0:
                return
            position = end + 3
            continue
        gt = markup.find(">", lt + 1)
        if gt < 0:
            yield ("text", "", html.unescape(markup[lt:]))
            return
        raw = markup[lt + 1 : gt]
        position = gt + 1
        name_match = _TAG_NAME_RE.match(markup, lt, gt + 1)
        if not name_match:
            if raw[:1] not in "!?":
                yield ("text", "", html.unescape("<" + raw + ">"))
            continue
        name = name_match.group(1).lower()
        if raw.lstrip().startswith("/"):
            yield ("end", name, None)
            continue
        attrs = _attributes(raw[name_match.end() - lt - 1 :])
        yield ("start", name, attrs)
        if name in _SKIP_TAGS or name == "title":
            close = lower.find("</" + name, position)
            inner_end = close if close >= 0 else length
            if name == "title":
                yield ("text", "", html.unescape(markup[position:inner_end]))
            position = inner_end
            continue
        if raw.rstrip().endswith("/") or name in ("br", "hr", "meta", "img", "input", "link"):
            yield ("end", name, None)


class _DepthLimitError(Exception):
    pass


def _events_from_lxml(markup: str) -> Iterator[Event]:
    parser = etree.HTMLParser(recover=True, remove_comments=True, remove_pis=True, no_network=True)
    root = etree.fromstring(markup, parser)
    for entry in parser.error_log:
        if "depth" in entry.message.lower() or entry.type_name == "ERR_RESOURCE_LIMIT":
            raise _DepthLimitError(entry.message)
    if root is None:
        return
    walker = etree.iterwalk(root, events=("start", "end"))
    for action, element in walker:
        tag = element.tag
        if not isinstance(tag, str):
            if action == "end" and element.tail:
                yield ("text", "", element.tail)
            continue
        name = tag.lower()
        if action == "start":
            yield ("start", name, dict(element.attrib))
            if name in _SKIP_TAGS:
                walker.skip_subtree()
                continue
            if element.text:
                yield ("text", "", element.text)
        else:
            yield ("end", name, None)
            if element.tail:
                yield ("text", "", element.tail)


class _Renderer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []
        self.cell_start: int | None = None
        self.skip_depth = 0
        self.skip_tag: str | None = None
        self.pre_depth = 0
        self.in_title = False
        self.title_parts: list[str] = []
        self.meta: dict[str, str] = {}

    def flush(self) -> None:
        line = "".join(self.current).strip(" ")
        self.current = []
        self.cell_start = None
        if line.strip():
            self.lines.append(line)
        elif self.lines and self.lines[-1] != "":
            self.lines.append("")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.skip_tag is not None:
            if name == self.skip_tag:
                self.skip_depth += 1
            return
        style = attrs.get("style", "")
        if name in _SKIP_TAGS or (style and _HIDDEN_STYLE_RE.search(style)) or "hidden" in attrs:
            if name in ("br", "hr", "img", "input", "meta", "link"):
                return
            self.skip_tag, self.skip_depth = name, 1
            return
        if name == "title":
            self.in_title = True
        elif name == "meta":
            key = (
                attrs.get("name") or attrs.get("property") or attrs.get("http-equiv") or ""
            ).strip()
            if key and "content" in attrs:
                self.meta.setdefault(key.lower(), attrs["content"].strip())
        elif name == "br":
            self.flush()
        elif name in _CELL_TAGS:
            self.cell_start = len(self.current)
        elif name in _BLOCK_TAGS:
            self.flush()
            if name == "pre":
                self.pre_depth += 1

    def end(self, name: str) -> None:
        if self.skip_tag is not None:
            if name == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth <= 0:
                    self.skip_tag = None
            return
        if name == "title":
            self.in_title = False
        elif name in _CELL_TAGS:
            start = self.cell_start if self.cell_start is not None else len(self.current)
            cell = "".join(self.current[start:]).strip()
            if cell and is_bare_label(cell) and not cell.endswith(("：", ":")):
                self.current.append("：")
            self.current.append("\t")
            self.cell_start = None
        elif name in _BLOCK_TAGS:
            self.flush()
            if name == "pre" and self.pre_depth:
                self.pre_depth -= 1

    def text(self, value: str) -> None:
        if self.skip_tag is not None:
            return
        if self.in_title:
            self.title_parts.append(value)
            return
        if self.pre_depth:
            pieces = value.replace("\r\n", "\n").split("\n")
            for index, piece in enumerate(pieces):
                if index:
                    self.flush()
                self.current.append(piece)
            return
        self.current.append(value.replace("\r", " ").replace("\n", " "))


def html_to_page(markup: str) -> HtmlPage:
    """Render `markup` into raw lines (blank lines between blocks) and head metadata."""
    warnings: list[str] = []
    renderer = _Renderer()
    try:
        events: Iterator[Event] = _events_from_lxml(markup)
        collected = list(events)
    except (_DepthLimitError, etree.ParserError, etree.XMLSyntaxError, ValueError) as error:
        if isinstance(error, _DepthLimitError):
            warnings.append(
                "html: nesting deeper than the HTML parser allows; read with a flat tokenizer"
            )
        collected = list(_events_from_tokenizer(markup))
    for kind, name, payload in collected:
        if kind == "start":
            renderer.start(name, payload if isinstance(payload, dict) else {})
        elif kind == "end":
            renderer.end(name)
        elif isinstance(payload, str):
            renderer.text(payload)
    renderer.flush()
    title = " ".join("".join(renderer.title_parts).split()) or None
    return HtmlPage(lines=renderer.lines, title_tag=title, meta=renderer.meta, warnings=warnings)

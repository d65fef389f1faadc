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

from .labels import LABEL_FIRST_CHARS, is_bare_label, starts_with_label

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
    #: Indexes into `lines` of lines that are mostly link text (navigation, related lists).
    link_lines: set[int] = field(default_factory=set)
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


#: Marks an element whose whole text is a metadata label (`<span class="key">主题分类</span>`):
#: LABEL_START where it begins, LABEL_END where it ends without a colon of its own. The
#: line renderer (`lines.lines_from_blocks`) turns them into a cell break and a colon when
#: the line is a metadata row, and drops them otherwise, so a letter's text is unchanged.
LABEL_START = "\ue000"
LABEL_END = "\ue001"
_VOID_TAGS = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "base"})
#: Elements longer than this are not checked for being a label.
_LABEL_CHECK_CHARS = 40
_LABEL_CHECK_PIECES = 64
#: How far down the open-element stack an end tag is looked for (tag soup is not closed in
#: order); and how deep the stack may grow before elements stop being tracked.
_END_SEARCH_DEPTH = 8
_MAX_OPEN_TRACKED = 4096
#: A line counts as a link (navigation, related articles, 上一篇/下一篇) when most of its
#: visible characters sit inside `<a>`.
_LINK_SHARE = 0.6
#: Blanks that do not count as a line's visible characters.
_BLANKS = " \xa0\u3000\t"


@dataclass
class _Open:
    name: str
    piece: int  # index of this element's placeholder piece in the current line
    chars: int  # characters rendered before it (all lines)
    line_chars: int  # visible characters before it on the current line
    generation: int  # which line it started on


class _Renderer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.link_lines: set[int] = set()
        self.current: list[str] = []
        self.skip_depth = 0
        self.skip_tag: str | None = None
        self.pre_depth = 0
        self.in_title = False
        self.title_parts: list[str] = []
        self.meta: dict[str, str] = {}
        self.open: list[_Open] = []
        self.generation = 0
        self.total_chars = 0
        self.line_chars = 0
        self.link_depth = 0
        self.link_chars = 0
        self.anchors: list[bool] = []

    def flush(self) -> None:
        line = "".join(self.current).strip(" ")
        if line.strip():
            if self.line_chars and self.link_chars >= _LINK_SHARE * self.line_chars:
                self.link_lines.add(len(self.lines))
            self.lines.append(line)
        elif self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.current = []
        self.generation += 1
        self.line_chars = 0
        self.link_chars = 0

    def _push(self, name: str) -> None:
        if name in _VOID_TAGS or len(self.open) >= _MAX_OPEN_TRACKED:
            return
        self.open.append(
            _Open(name, len(self.current), self.total_chars, self.line_chars, self.generation)
        )
        self.current.append("")  # placeholder: becomes LABEL_START if this is a label

    def _pop(self, name: str) -> _Open | None:
        for depth in range(1, min(_END_SEARCH_DEPTH, len(self.open)) + 1):
            if self.open[-depth].name == name:
                entry = self.open[-depth]
                del self.open[-depth:]
                return entry
        return None

    def _element_text(self, entry: _Open, limit: int) -> str | None:
        """The element's text when it is short and on one line, else None."""
        if entry.generation != self.generation or entry.piece >= len(self.current):
            return None
        if self.total_chars - entry.chars > limit:
            return None
        if len(self.current) - entry.piece > _LABEL_CHECK_PIECES:
            return None
        return "".join(self.current[entry.piece :])

    def _prefix_text(self, entry: _Open) -> str:
        """The first characters of an element on the current line (bounded)."""
        collected: list[str] = []
        size = 0
        for piece in self.current[entry.piece : entry.piece + _LABEL_CHECK_PIECES]:
            collected.append(piece)
            size += len(piece)
            if size >= _LABEL_CHECK_CHARS:
                break
        return "".join(collected)[:_LABEL_CHECK_CHARS]

    def _mark_label(self, entry: _Open) -> None:
        """Mark an element that is only a label, or (after other text on its line) one
        that starts with a `label：`, so the line can be split into label/value pairs."""
        if entry.generation != self.generation:
            return
        text = self._element_text(entry, _LABEL_CHECK_CHARS)
        if text is not None:
            stripped = text.strip(" \xa0\u3000\t")
            if stripped and is_bare_label(stripped):
                self.current[entry.piece] = LABEL_START
                if not stripped.endswith(("：", ":")):
                    self.current.append(LABEL_END)
                return
        if entry.line_chars == 0:
            return
        prefix = self._prefix_text(entry).lstrip(" \xa0\u3000\t")
        if prefix and prefix[0] in LABEL_FIRST_CHARS and starts_with_label(prefix):
            self.current[entry.piece] = LABEL_START

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.skip_tag is not None:
            if name == self.skip_tag:
                self.skip_depth += 1
            return
        style = attrs.get("style", "")
        if name in _SKIP_TAGS or (style and _HIDDEN_STYLE_RE.search(style)) or "hidden" in attrs:
            if name in _VOID_TAGS:
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
        elif name in _BLOCK_TAGS:
            self.flush()
            if name == "pre":
                self.pre_depth += 1
        elif name == "a":
            # Only a real link counts: an anchor (`<a name>`) or a script handler may wrap
            # a page's own title or text.
            href = attrs.get("href", "").strip().lower()
            is_link = bool(href) and not href.startswith(("#", "javascript"))
            if len(self.anchors) < _MAX_OPEN_TRACKED:
                self.anchors.append(is_link)
                if is_link:
                    self.link_depth += 1
        if not self.in_title:
            self._push(name)

    def end(self, name: str) -> None:
        if self.skip_tag is not None:
            if name == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth <= 0:
                    self.skip_tag = None
            return
        entry = self._pop(name) if name not in _VOID_TAGS else None
        if entry is not None:
            self._mark_label(entry)
        if name == "title":
            self.in_title = False
        elif name in _CELL_TAGS:
            self.current.append("\t")
        elif name in _BLOCK_TAGS:
            self.flush()
            if name == "pre" and self.pre_depth:
                self.pre_depth -= 1
        elif name == "a" and self.anchors:
            counted = self.anchors.pop()
            self.link_depth -= 1 if counted and self.link_depth else 0

    def _count(self, value: str) -> None:
        self.total_chars += len(value)
        # Counted rather than deleted: no copy of every text node.
        visible = len(value) - sum(map(value.count, _BLANKS))
        self.line_chars += visible
        if self.link_depth:
            self.link_chars += visible

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
                self._count(piece)
            return
        value = value.replace("\r", " ").replace("\n", " ")
        self.current.append(value)
        self._count(value)


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
    return HtmlPage(
        lines=renderer.lines,
        title_tag=title,
        link_lines=renderer.link_lines,
        meta=renderer.meta,
        warnings=warnings,
    )

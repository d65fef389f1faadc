"""A reply's sections stored as spans of its body.

The parser gives each numbered part of a reply as {"heading", "text"}, and each text is a
stretch of the body. Stored as it is, the list was a second compressed copy of the body in
every reply row (~5.8 KB a reply on the generated corpus). Stored here, each text that lies
in the body, in order, becomes {"heading", "at": [start, end]}; one that does not (the body
corrected since, say) keeps its text. Reading gives back exactly the parser's list.
"""

from __future__ import annotations

from typing import Any


def pack_sections(body: str, sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`sections` with each text found in `body` (after the previous one) replaced by its span.

    Items already packed are kept, so packing twice gives the same list."""
    packed: list[dict[str, Any]] = []
    searched_from = 0
    for item in sections:
        text = item.get("text")
        start = body.find(text, searched_from) if text else -1
        if start < 0:
            packed.append(dict(item))
            continue
        end = start + len(text)
        packed.append({**{k: v for k, v in item.items() if k != "text"}, "at": [start, end]})
        searched_from = end
    return packed


def unpack_sections(body: str, stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sections as the parser gave them: each span read back from `body`."""
    unpacked: list[dict[str, Any]] = []
    for item in stored or []:
        if "at" in item:
            start, end = item["at"]
            item = {**{k: v for k, v in item.items() if k != "at"}, "text": body[start:end]}
        unpacked.append(item)
    return unpacked

from typing import Any

from django.db import migrations

# A reply's sections are stored as spans of its body (replies/sections.py) instead of a second
# copy of its text. Rows are rewritten a thousand at a time; `VACUUM FULL replies_reply`
# returns the space afterwards.
BATCH = 1000


# Frozen copies of replies.sections as it stood when this migration was written: a later
# change to that module must not change what this migration does to stored rows.
def pack_sections(body: str, sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
    unpacked: list[dict[str, Any]] = []
    for item in stored or []:
        if "at" in item:
            start, end = item["at"]
            item = {**{k: v for k, v in item.items() if k != "at"}, "text": body[start:end]}
        unpacked.append(item)
    return unpacked


def _rewrite(apps, transform) -> None:
    Reply = apps.get_model("replies", "Reply")
    changed = []
    for reply in Reply.objects.only("id", "body_text", "sections").iterator(chunk_size=BATCH):
        sections = transform(reply.body_text, reply.sections or [])
        if sections != reply.sections:
            reply.sections = sections
            changed.append(reply)
        if len(changed) >= BATCH:
            Reply.objects.bulk_update(changed, ["sections"])
            changed = []
    Reply.objects.bulk_update(changed, ["sections"])


def pack(apps, schema_editor) -> None:
    _rewrite(apps, pack_sections)


def unpack(apps, schema_editor) -> None:
    _rewrite(apps, unpack_sections)


class Migration(migrations.Migration):
    dependencies = [("replies", "0009_public_body_only_when_redacted")]

    operations = [migrations.RunPython(pack, unpack)]

from django.db import migrations

from replies.sections import pack_sections, unpack_sections

# A reply's sections are stored as spans of its body (replies/sections.py) instead of a second
# copy of its text. Rows are rewritten a thousand at a time; `VACUUM FULL replies_reply`
# returns the space afterwards.
BATCH = 1000


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

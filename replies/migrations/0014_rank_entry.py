import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

# The ranking vectors move to their own table, inline. Ranking a candidate read the reply's row
# and its word vector from the reply's TOAST (an index probe and ~4 chunks), and the search
# entry's row and its title from that table's TOAST; now it reads one page. The table's
# toast_tuple_target at its largest keeps a row (~7 KB: a word vector is ~6.5 KB) in its page
# untouched; EXTERNAL, as for the other vectors (migration 0008), means a row too large for a
# page has its vectors moved out without pglz trying to shrink them first, which it cannot.
#
# Stored replies' vectors are copied over (100,000 replies: 23 s here); a reply without a search
# entry gets an empty title until `reindex`. Dropping `search_words` frees nothing by itself:
# the old vectors stay in the reply table's TOAST until its rows are rewritten, or at once with
# `VACUUM FULL replies_reply` (which locks the table while it runs).

TO_RANK_ENTRY = """
INSERT INTO replies_rankentry (reply_id, words, title)
SELECT r.id, COALESCE(r.search_words, ''::tsvector), COALESCE(e.title, ''::tsvector)
FROM replies_reply r LEFT JOIN replies_searchentry e ON e.reply_id = r.id
"""

BACK_TO_REPLY = """
UPDATE replies_reply r SET search_words = k.words
FROM replies_rankentry k WHERE k.reply_id = r.id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("replies", "0013_body_simplified"),
    ]

    operations = [
        migrations.CreateModel(
            name="RankEntry",
            fields=[
                (
                    "reply",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="rank_entry",
                        serialize=False,
                        to="replies.reply",
                    ),
                ),
                ("words", django.contrib.postgres.search.SearchVectorField()),
                ("title", django.contrib.postgres.search.SearchVectorField()),
            ],
        ),
        migrations.RunSQL(
            "ALTER TABLE replies_rankentry SET (toast_tuple_target = 8160), "
            "ALTER COLUMN words SET STORAGE EXTERNAL, ALTER COLUMN title SET STORAGE EXTERNAL",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(TO_RANK_ENTRY, BACK_TO_REPLY),
        migrations.RemoveField(
            model_name="reply",
            name="search_words",
        ),
    ]

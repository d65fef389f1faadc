"""The schema's indexes: every index is written on every insert, so one that another index
already serves only slows the bulk ingest (a foreign key's own index beside a unique
constraint that leads with the same column was ~17 index writes a reply)."""

from django.db import connection

# B-tree indexes (whole-table, on columns) whose columns are the leading columns of another
# such index on the same table, with the same operator classes: a lookup by them can use
# the longer one.
REDUNDANT_INDEXES = """
WITH idx AS (
    SELECT c.relname AS name, t.relname AS tbl, i.indisunique AS is_unique,
           i.indpred IS NOT NULL AS partial, i.indexprs IS NOT NULL AS on_expressions,
           am.amname,
           (SELECT array_agg(k ORDER BY o) FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(k, o))
               AS cols,
           (SELECT array_agg(k ORDER BY o) FROM unnest(i.indclass::oid[]) WITH ORDINALITY u(k, o))
               AS classes
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_am am ON am.oid = c.relam
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND t.relname LIKE 'replies%%'
)
SELECT a.tbl, a.name, b.name
FROM idx a JOIN idx b ON a.tbl = b.tbl AND a.name <> b.name
WHERE a.amname = 'btree' AND b.amname = 'btree'
  AND NOT a.is_unique AND NOT a.partial AND NOT b.partial
  AND NOT a.on_expressions AND NOT b.on_expressions
  AND a.cols = b.cols[1:array_length(a.cols, 1)]
  AND a.classes = b.classes[1:array_length(a.cols, 1)]
ORDER BY 1, 2
"""


def test_no_index_is_served_by_another(db):
    with connection.cursor() as cursor:
        cursor.execute(REDUNDANT_INDEXES)
        redundant = cursor.fetchall()
    # Django creates the many-to-many table of Reply.themes with both; it is not ours to
    # change without an explicit through model.
    assert [row for row in redundant if row[0] != "replies_reply_themes"] == []


def test_the_ingests_tables_have_no_pattern_matching_indexes(db):
    # db_index on a CharField adds a varchar_pattern_ops twin for LIKE 'x%'; status and the
    # file hash are only ever compared whole.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s)"
            " AND indexdef LIKE '%%pattern_ops%%'",
            [["replies_reply", "replies_source", "replies_searchentry"]],
        )
        assert cursor.fetchall() == []


# Foreign keys (of our tables) whose column leads no whole-table B-tree index: a lookup by
# the key, or a cascade from the row it points at, would read the whole table.
UNINDEXED_FOREIGN_KEYS = """
SELECT t.relname, a.attname
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = con.conkey[1]
WHERE con.contype = 'f' AND n.nspname = current_schema() AND t.relname LIKE 'replies%%'
  AND NOT EXISTS (
    SELECT 1 FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    WHERE i.indrelid = t.oid AND am.amname = 'btree' AND i.indpred IS NULL
      AND i.indkey[0] = con.conkey[1]
  )
ORDER BY 1, 2
"""


def test_every_foreign_key_leads_an_index(db):
    # The dropped indexes' columns are still served: by the constraints and indexes that
    # lead with them (replyagency_unique_role for reply_id, replyagency_agency_role for
    # agency_id, …).
    with connection.cursor() as cursor:
        cursor.execute(UNINDEXED_FOREIGN_KEYS)
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname = ANY(%s)",
            [["replyagency_unique_role", "replyagency_agency_role", "source_sha256"]],
        )
        assert cursor.fetchone()[0] == 3

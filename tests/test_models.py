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


def test_lookups_by_the_dropped_indexes_columns_still_use_an_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for table, column, index in [
            ("replies_commitment", "reply_id", "commitment_unique_pos"),
            ("replies_citation", "reply_id", "citation_unique_pos"),
            ("replies_replyagency", "reply_id", "replyagency_unique_role"),
            ("replies_replyagency", "agency_id", "replyagency_agency_role"),
            ("replies_replymember", "reply_id", "replymember_unique"),
            ("replies_source", "reply_id", "source_unique"),
            ("replies_source", "sha256", "source_sha256"),
            ("replies_reply", "status", "reply_status_sort"),
            ("replies_proposal", "session_id", "proposal_unique_number"),
        ]:
            value = "'published'" if column == "status" else "'x'" if column == "sha256" else "1"
            cursor.execute(f"EXPLAIN SELECT * FROM {table} WHERE {column} = {value}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert index in plan, (table, column, plan)

from django.db import migrations

# The search vectors do not compress: pglz tries each one and gives up (5,000 replies at
# 100,000: the bigram vectors 65 MB stored either way, the word vectors 37 MB), which cost
# the load 0.09 + 0.05 ms a reply of PostgreSQL's time for nothing. EXTERNAL keeps them out
# of line, as before, without the attempt.
VECTORS = (
    ("replies_searchentry", ("bigrams", "title")),
    ("replies_reply", ("search_words",)),
)


def _storage(kind: str) -> list[str]:
    return [
        f"ALTER TABLE {table} "
        + ", ".join(f"ALTER COLUMN {column} SET STORAGE {kind}" for column in columns)
        for table, columns in VECTORS
    ]


class Migration(migrations.Migration):
    dependencies = [("replies", "0007_search_entry_year_lexeme")]

    # Rows written from now on; stored rows keep their (uncompressed anyway) vectors.
    operations = [migrations.RunSQL(_storage("EXTERNAL"), _storage("EXTENDED"))]

from django.db import migrations

# Every search entry's bigram vector gains its year as a lexeme (`year=2024`, see
# replies.search.year_lexeme), so that a text search filtered by year is one GIN match.
# Rewriting every vector under its GIN index would insert each entry's thousands of lexemes
# into the index again; the index is dropped and rebuilt around the rewrite instead, as
# CREATE INDEX builds it in one sorted pass.
DROP_INDEX = "DROP INDEX IF EXISTS entry_bigrams_gin"
CREATE_INDEX = (
    "CREATE INDEX entry_bigrams_gin ON replies_searchentry USING gin (bigrams) WHERE published"
)
ADD = (
    "UPDATE replies_searchentry SET bigrams = bigrams || format('%L', 'year=' || year)::tsvector "
    "WHERE year IS NOT NULL"
)
REMOVE = (
    "UPDATE replies_searchentry SET bigrams = ts_delete(bigrams, 'year=' || year) "
    "WHERE year IS NOT NULL"
)


class Migration(migrations.Migration):
    dependencies = [("replies", "0006_search_entry_plain_storage")]

    operations = [migrations.RunSQL([DROP_INDEX, ADD, CREATE_INDEX], [DROP_INDEX, REMOVE, CREATE_INDEX])]

from django.db import migrations

# `public_body_text` now holds the redacted body only where redaction changed it, and "" where
# it is the body itself (`Reply.public_text`): a stored copy equal to the body was a third
# compressed copy of the text (~6 KB stored and ~0.24 ms of PostgreSQL's pglz on the load for
# each reply that prints no contact details).
# The update rewrites the rows it touches; `VACUUM FULL replies_reply` returns the space.
FORWARD = "UPDATE replies_reply SET public_body_text = '' WHERE public_body_text = body_text"
BACKWARD = "UPDATE replies_reply SET public_body_text = body_text WHERE public_body_text = ''"


class Migration(migrations.Migration):
    dependencies = [("replies", "0008_vectors_uncompressed")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

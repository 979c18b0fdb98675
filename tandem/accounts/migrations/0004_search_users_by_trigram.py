"""PostgreSQL: trigram indexes for the participants list's search (icontains on name and email).

Django's icontains is `UPPER(col::text) LIKE UPPER(%s)`; these GIN indexes on the same
expressions let PostgreSQL answer it without reading every user. SQLite has no trigram
indexes, so there this migration does nothing.
"""

from django.db import migrations

INDEXES = {
    "user_email_trgm": 'UPPER("email"::text)',
    "user_full_name_trgm": 'UPPER("full_name"::text)',
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON "accounts_user" '
            f"USING gin (({expression}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_index_users_by_name")]
    operations = [migrations.RunPython(create, drop)]

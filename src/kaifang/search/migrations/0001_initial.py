from django.conf import settings
from django.db import migrations, models

TSV = (
    "setweight(to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(keys, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(meta, '')), 'B') || "
    "setweight(to_tsvector('simple', coalesce(fields, '')), 'C') || "
    "setweight(to_tsvector('simple', coalesce(body, '')), 'D')"
)


def add_tsvector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE search_searchentry ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({TSV}) STORED"
    )
    schema_editor.execute("CREATE INDEX search_searchentry_tsv ON search_searchentry USING gin (tsv)")


def drop_tsvector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE search_searchentry DROP COLUMN IF EXISTS tsv")


class Migration(migrations.Migration):
    initial = True
    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="IndexOutbox",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("dataset_id", models.BigIntegerField(db_index=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"verbose_name": "索引待更新", "verbose_name_plural": "索引待更新"},
        ),
        migrations.CreateModel(
            name="Synonym",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("terms", models.CharField(help_text="以逗号分隔，如：医院,医疗机构", max_length=500, verbose_name="同义词组")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={"verbose_name": "同义词", "verbose_name_plural": "同义词", "ordering": ["id"]},
        ),
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("dataset_id", models.BigIntegerField(unique=True)),
                ("version", models.BigIntegerField()),
                ("title", models.TextField(blank=True)),
                ("keys", models.TextField(blank=True)),
                ("meta", models.TextField(blank=True)),
                ("fields", models.TextField(blank=True)),
                ("body", models.TextField(blank=True)),
                ("publish_days", models.IntegerField(default=0)),
                ("quality", models.FloatField(default=0)),
                ("use", models.FloatField(default=0)),
            ],
            options={"verbose_name": "搜索文档", "verbose_name_plural": "搜索文档"},
        ),
        migrations.RunPython(add_tsvector, drop_tsvector),
    ]

"""Load the controlled vocabularies (domains and the classification systems) from catalog/data."""

from django.db import migrations


def load(apps, schema_editor):
    from kaifang.catalog.vocabularies import load_vocabularies

    load_vocabularies(apps.get_model("catalog", "Concept"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

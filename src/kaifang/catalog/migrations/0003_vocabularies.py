"""Load the controlled vocabularies (domains and the classification systems) from catalog/data."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "vocabularies.json"


def load(apps, schema_editor):
    Concept = apps.get_model("catalog", "Concept")
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    for scheme, rows in raw.items():
        for order, row in enumerate(rows):
            code, label, label_en = row[0], row[1], row[2]
            group = row[3] if len(row) > 3 else ""
            Concept.objects.update_or_create(
                scheme=scheme, code=code,
                defaults={"label": label, "label_en": label_en, "order": order, "group": group},
            )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

"""Remove the fragments of personal identifiers that earlier gate decisions recorded: the masked value of
each finding (`evidence[].evidence`, e.g. a region code and the last digits of an ID number) and the same
value quoted in the refusal reasons (`……（如421202********1238），请在发布方案中……`), in the gate records
and in the audit events that copied those reasons. Columns, rows, kinds and counts stay. Not reversible:
the removed text is not kept anywhere."""

from __future__ import annotations

import re

from django.db import migrations

# The gate wrote "…处仍含有<kind>（如<masked value>），请在发布方案中…"; an audit reason was cut at 500
# characters, so the last quote may have no end.
_QUOTED = re.compile(r"（如.*?），请在发布方案中", re.S)
_CUT = re.compile(r"（如[^（）]*$", re.S)
GATE_ACTIONS = ("privacy.gate_refuse", "privacy.gate_pass", "table.sample_refused")


def scrub(text: str) -> str:
    return _CUT.sub("", _QUOTED.sub("，请在发布方案中", text or ""))


def forwards(apps, schema_editor):
    VersionGate = apps.get_model("privacy", "VersionGate")
    AuditEvent = apps.get_model("core", "AuditEvent")
    for gate in VersionGate.objects.all().only("id", "reasons", "evidence").iterator():
        reasons = [scrub(r) for r in (gate.reasons or [])]
        evidence = [
            {k: v for k, v in item.items() if k != "evidence"} if isinstance(item, dict) else {}
            for item in (gate.evidence or [])
        ]
        if reasons != gate.reasons or evidence != gate.evidence:
            VersionGate.objects.filter(pk=gate.pk).update(reasons=reasons, evidence=evidence)
    for event in AuditEvent.objects.filter(action__in=GATE_ACTIONS).only("id", "reason").iterator():
        clean = scrub(event.reason)
        if clean != event.reason:
            AuditEvent.objects.filter(pk=event.pk).update(reason=clean)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0003_gate_retention_destruction"),
        ("core", "0003_audit_changes_catalog"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""Seal the TOTP secrets written in plain text before 0006 (the field reads both; every save seals)."""

from django.db import migrations


def seal_existing(apps, schema_editor):
    from kaifang.accounts import crypto

    TotpDevice = apps.get_model("accounts", "TotpDevice")
    for device in TotpDevice.objects.all():
        # The field already hands back the plain secret for legacy rows; the save writes it sealed.
        if device.secret and not crypto.is_sealed(device.secret):
            device.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_second_factor_keys_sealed_totp")]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]

from django.db import migrations


def seed(apps, schema_editor):
    from eldercare import reference

    reference.load(apps)  # idempotent: seeds what the tables added since 0002 (the checklists) are missing


class Migration(migrations.Migration):
    dependencies = [("eldercare", "0006_inspection_checklists")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

from django.db import migrations


def seed(apps, schema_editor):
    from eldercare import reference

    reference.load(apps)


class Migration(migrations.Migration):
    dependencies = [("eldercare", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

from django.db import migrations


def seed(apps, schema_editor):
    from social_orgs import reference

    reference.load(apps)


class Migration(migrations.Migration):
    dependencies = [("social_orgs", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

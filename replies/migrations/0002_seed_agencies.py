from django.db import migrations


def seed(apps, schema_editor):
    from replies.agencies import seed_agencies
    from replies.data.agencies import AGENCIES

    seed_agencies(apps.get_model("replies", "Agency"), apps.get_model("replies", "AgencyAlias"), AGENCIES)


class Migration(migrations.Migration):
    dependencies = [("replies", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

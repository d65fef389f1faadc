from django.db import migrations


def create_clerk_group(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); a fresh database
    # has none yet, so create this app's now.
    from django.contrib.auth.management import create_permissions

    from replies.clerks import sync_clerk_group

    app_config = apps.get_app_config("replies")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    sync_clerk_group(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_clerk_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="clerk").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("replies", "0003_pendingupload"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_clerk_group, remove_clerk_group)]

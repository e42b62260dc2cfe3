from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("comments", "0004_comment_restrict_deletes"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="source_key",
            field=models.CharField(blank=True, max_length=200, null=True, unique=True),
        ),
    ]

"""Comment.body_digest: an indexed digest of the body for the duplicate check."""

import hashlib

from django.conf import settings
from django.db import migrations, models


def fill_digests(apps, schema_editor):
    # The same digest as civility.comments.models.body_digest (models may change; this may not).
    Comment = apps.get_model("comments", "Comment")
    batch = []
    for comment in Comment.objects.only("id", "body").iterator(chunk_size=2000):
        comment.body_digest = hashlib.blake2b(
            comment.body.strip().encode(), digest_size=8
        ).hexdigest()
        batch.append(comment)
        if len(batch) >= 2000:
            Comment.objects.bulk_update(batch, ["body_digest"])
            batch = []
    Comment.objects.bulk_update(batch, ["body_digest"])


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="body_digest",
            field=models.CharField(blank=True, default="", editable=False, max_length=16),
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(
                fields=["author", "story", "body_digest"], name="comments_co_author__a95c2c_idx"
            ),
        ),
    ]

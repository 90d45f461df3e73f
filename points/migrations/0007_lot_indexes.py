"""Lots' indexes for lots that are always tracked: the nightly job's index leaves out lots that never
expire (every credit while expiry is off) and those used up, and a lot's entry has no index of its
own (nothing looks lots up by entry; a use is looked up by its entry). Two fewer index writes per
credit."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0006_lots_always_tracked"),
    ]

    operations = [
        migrations.AlterField(
            model_name="lot",
            name="entry",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="lots", to="points.entry"
            ),
        ),
        migrations.AlterField(
            model_name="lot",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="expires at"),
        ),
        migrations.AddIndex(
            model_name="lot",
            index=models.Index(
                condition=models.Q(("expires_at__isnull", False), ("remaining__gt", 0)),
                fields=["expires_at"],
                name="points_lot_due",
            ),
        ),
    ]

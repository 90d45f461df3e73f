# Rule tags (analytics.TagRule, computed nightly) and automations that target tags: docs/tags.md.
# An automation may now target tags alone, so "a segment or a stage" became "not both".

import django.db.models.deletion
from django.db import migrations, models

import core.db


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0006_points_value"),
        ("core", "0005_tags"),
        ("mall", "0001_initial"),
        ("points", "0001_initial"),
        ("referral", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="TagRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("channel", "came through a channel"),
                            ("invited", "invited by a friend"),
                            ("level", "membership level"),
                            ("segment", "RFM segment"),
                            ("stage", "lifecycle stage"),
                            ("challenges", "joined at least N challenge rounds"),
                            ("redeemed", "redeemed a product"),
                            ("no_visit", "no visit for N days"),
                            ("phone_verified", "verified a phone number"),
                        ],
                        max_length=16,
                        verbose_name="rule",
                    ),
                ),
                (
                    "segment",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("important_value", "important value"),
                            ("important_winback", "important win-back"),
                            ("new", "new user"),
                            ("general", "general"),
                            ("lost", "lost"),
                        ],
                        max_length=20,
                        verbose_name="segment",
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("introduction", "introduction"),
                            ("growing", "growing"),
                            ("mature", "mature"),
                            ("dormant", "dormant"),
                            ("churned", "churned"),
                        ],
                        max_length=16,
                        verbose_name="lifecycle stage",
                    ),
                ),
                (
                    "number",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Challenge rounds joined (at least), or days without a visit.",
                        verbose_name="N",
                    ),
                ),
                (
                    "visit_kinds",
                    models.CharField(
                        blank=True,
                        help_text="Event kinds, comma-separated (signed_in, checked_in, visited...). "
                        "Empty: every active kind.",
                        max_length=200,
                        verbose_name="what counts as a visit",
                    ),
                ),
            ],
            options={"verbose_name": "tag rule", "verbose_name_plural": "tag rules"},
            bases=(core.db.ConstraintErrorsOnFields, models.Model),
        ),
        migrations.RemoveConstraint(model_name="automationrule", name="analytics_rule_one_target"),
        migrations.AddField(
            model_name="automationrule",
            name="tags",
            field=models.ManyToManyField(
                blank=True,
                help_text="Only members carrying at least one of these tags (with a segment or stage: members of "
                "both). Empty: no tag filter.",
                related_name="+",
                to="core.tag",
                verbose_name="target tags",
            ),
        ),
        migrations.AddConstraint(
            model_name="automationrule",
            constraint=models.CheckConstraint(
                condition=models.Q(("segment", ""), ("stage", ""), _connector="OR"),
                name="analytics_rule_segment_or_stage",
                violation_error_code="segment",
                violation_error_message="Target a segment or a stage, not both.",
            ),
        ),
        migrations.AddField(
            model_name="tagrule",
            name="channel",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="referral.channel",
                verbose_name="channel",
            ),
        ),
        migrations.AddField(
            model_name="tagrule",
            name="level",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="points.level",
                verbose_name="level",
            ),
        ),
        migrations.AddField(
            model_name="tagrule",
            name="product",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="mall.product",
                verbose_name="product",
            ),
        ),
        migrations.AddField(
            model_name="tagrule",
            name="tag",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE, related_name="rule", to="core.tag", verbose_name="tag"
            ),
        ),
        migrations.AddConstraint(
            model_name="tagrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "channel"), _negated=True), ("channel__isnull", False), _connector="OR"
                ),
                name="analytics_tagrule_channel",
                violation_error_code="channel",
                violation_error_message="Choose the channel.",
            ),
        ),
        migrations.AddConstraint(
            model_name="tagrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "level"), _negated=True), ("level__isnull", False), _connector="OR"
                ),
                name="analytics_tagrule_level",
                violation_error_code="level",
                violation_error_message="Choose the level.",
            ),
        ),
        migrations.AddConstraint(
            model_name="tagrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "segment"), _negated=True),
                    models.Q(("segment", ""), _negated=True),
                    _connector="OR",
                ),
                name="analytics_tagrule_segment",
                violation_error_code="segment",
                violation_error_message="Choose the segment.",
            ),
        ),
        migrations.AddConstraint(
            model_name="tagrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "stage"), _negated=True), models.Q(("stage", ""), _negated=True), _connector="OR"
                ),
                name="analytics_tagrule_stage",
                violation_error_code="stage",
                violation_error_message="Choose the stage.",
            ),
        ),
        migrations.AddConstraint(
            model_name="tagrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "redeemed"), _negated=True), ("product__isnull", False), _connector="OR"
                ),
                name="analytics_tagrule_product",
                violation_error_code="product",
                violation_error_message="Choose the product.",
            ),
        ),
        migrations.AddConstraint(
            model_name="tagrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind__in", ["challenges", "no_visit"]), _negated=True),
                    ("number__gte", 1),
                    _connector="OR",
                ),
                name="analytics_tagrule_number",
                violation_error_code="number",
                violation_error_message="N must be at least 1.",
            ),
        ),
    ]

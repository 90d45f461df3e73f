# Rule tags on the member's profile facts (docs/tags.md): gender, age band and city, each with its
# parameter and a constraint that the rule names it.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0007_rule_tags"),
        ("core", "0006_profile_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="tagrule",
            name="age_max",
            field=models.PositiveSmallIntegerField(
                blank=True, help_text="Whole years, inclusive.", null=True, verbose_name="age to"
            ),
        ),
        migrations.AddField(
            model_name="tagrule",
            name="age_min",
            field=models.PositiveSmallIntegerField(
                blank=True, help_text="Whole years, inclusive.", null=True, verbose_name="age from"
            ),
        ),
        migrations.AddField(
            model_name="tagrule",
            name="city",
            field=models.CharField(
                blank=True,
                help_text="Matched ignoring case and surrounding spaces.",
                max_length=64,
                verbose_name="city",
            ),
        ),
        migrations.AddField(
            model_name="tagrule",
            name="gender",
            field=models.CharField(
                blank=True, choices=[("male", "male"), ("female", "female")], max_length=8, verbose_name="gender"
            ),
        ),
        migrations.AlterField(
            model_name="tagrule",
            name="kind",
            field=models.CharField(
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
                    ("gender", "gender (when given)"),
                    ("age_band", "age band (when the birthday is given)"),
                    ("city", "city (when given)"),
                ],
                max_length=16,
                verbose_name="rule",
            ),
        ),
        migrations.AddConstraint(
            model_name="tagrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "gender"), _negated=True),
                    models.Q(("gender", ""), _negated=True),
                    _connector="OR",
                ),
                name="analytics_tagrule_gender",
                violation_error_code="gender",
                violation_error_message="Choose the gender.",
            ),
        ),
        migrations.AddConstraint(
            model_name="tagrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "age_band"), _negated=True),
                    models.Q(
                        ("age_min__isnull", False), ("age_max__isnull", False), ("age_min__lte", models.F("age_max"))
                    ),
                    _connector="OR",
                ),
                name="analytics_tagrule_age_band",
                violation_error_code="age_max",
                violation_error_message="Give both ages, the first not above the second.",
            ),
        ),
        migrations.AddConstraint(
            model_name="tagrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "city"), _negated=True), models.Q(("city", ""), _negated=True), _connector="OR"
                ),
                name="analytics_tagrule_city",
                violation_error_code="city",
                violation_error_message="Give the city.",
            ),
        ),
    ]

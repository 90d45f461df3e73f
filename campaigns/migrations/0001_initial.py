"""The plays' models, moved from `referral` with their tables: only Django's picture of them moves
(state); the database keeps every table, row, index and constraint as it was."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('mall', '0003_beat_task_names'),
        ('points', '0008_mall_moved_out'),
        ('referral', '0006_plays_moved_to_campaigns'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AssistCampaign',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=100, verbose_name='title')),
                        ('kind', models.CharField(choices=[('assist', 'assist (助力)'), ('bargain', 'bargain (砍价)')], default='assist', max_length=16, verbose_name='kind')),
                        ('reward_kind', models.CharField(choices=[('points', 'points'), ('product', 'mall product')], default='points', max_length=16, verbose_name='reward')),
                        ('reward_points', models.PositiveIntegerField(default=0, verbose_name='reward points')),
                        ('floor_price', models.PositiveIntegerField(default=0, help_text='Bargain only: the lowest price helps can reach.', verbose_name='floor price (points)')),
                        ('helpers_required', models.PositiveSmallIntegerField(default=3, verbose_name='helpers required')),
                        ('time_limit_hours', models.PositiveIntegerField(default=48, verbose_name='time limit (hours)')),
                        ('helps_per_day', models.PositiveSmallIntegerField(default=3, help_text='How many tasks of this campaign one user may help a day.', verbose_name='helps per user per day')),
                        ('new_user_counts_double', models.BooleanField(default=False, help_text='A helper who registered today counts as two helpers.', verbose_name='new users count double')),
                        ('tasks_per_user', models.PositiveIntegerField(default=1, help_text='How many tasks one user may start, expired ones aside (0 = no limit).', verbose_name='tasks per user')),
                        ('seed', models.CharField(blank=True, help_text='Bargain only: fixes the cuts, for reproducible tests.', max_length=32, verbose_name='random seed')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('starts_at', models.DateTimeField(blank=True, null=True, verbose_name='open from')),
                        ('ends_at', models.DateTimeField(blank=True, null=True, verbose_name='open until')),
                        ('sort_order', models.IntegerField(default=0, verbose_name='sort order')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('product', models.ForeignKey(blank=True, help_text='The reward of an assist paid in a product, or the product a bargain sells.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assist_campaigns', to='mall.product', verbose_name='product')),
                    ],
                    options={
                        'verbose_name': 'assist campaign',
                        'verbose_name_plural': 'assist campaigns',
                        'db_table': 'referral_assistcampaign',
                        'ordering': ['sort_order', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='AssistTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('open', 'open'), ('completed', 'completed'), ('redeemed', 'redeemed'), ('expired', 'expired')], default='open', max_length=16, verbose_name='status')),
                        ('required', models.PositiveSmallIntegerField(verbose_name='helpers required')),
                        ('progress', models.PositiveSmallIntegerField(default=0, verbose_name='helpers counted')),
                        ('start_price', models.PositiveIntegerField(default=0, verbose_name='starting price')),
                        ('floor_price', models.PositiveIntegerField(default=0, verbose_name='floor price')),
                        ('current_price', models.PositiveIntegerField(default=0, verbose_name='current price')),
                        ('cut_seed', models.CharField(blank=True, default='', max_length=100, verbose_name='cut seed')),
                        ('new_user_weight', models.PositiveSmallIntegerField(default=1, verbose_name='weight of a new helper')),
                        ('expires_at', models.DateTimeField(db_index=True, verbose_name='expires at')),
                        ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='tasks', to='campaigns.assistcampaign', verbose_name='campaign')),
                        ('order', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mall.order', verbose_name='order')),
                        ('reward_transaction', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='points.transaction', verbose_name='reward')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assist_tasks', to=settings.AUTH_USER_MODEL, verbose_name='started by')),
                    ],
                    options={
                        'verbose_name': 'assist task',
                        'verbose_name_plural': 'assist tasks',
                        'db_table': 'referral_assisttask',
                        'ordering': ['-id'],
                    },
                ),
                migrations.CreateModel(
                    name='AssistHelp',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('weight', models.PositiveSmallIntegerField(default=1, verbose_name='counted as')),
                        ('cut', models.PositiveIntegerField(default=0, verbose_name='price cut')),
                        ('local_date', models.DateField(verbose_name='local date')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='helped at')),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='campaigns.assistcampaign', verbose_name='campaign')),
                        ('helper', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assist_helps', to=settings.AUTH_USER_MODEL, verbose_name='helper')),
                        ('referral', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='referral.referral', verbose_name='binding made by this help')),
                        ('starter', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='started by')),
                        ('task', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='helps', to='campaigns.assisttask', verbose_name='task')),
                    ],
                    options={
                        'verbose_name': 'assist help',
                        'verbose_name_plural': 'assist helps',
                        'db_table': 'referral_assisthelp',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='GroupBuyGroup',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('open', 'open'), ('succeeded', 'succeeded'), ('failed', 'failed (refunded)')], default='open', max_length=16, verbose_name='status')),
                        ('group_size', models.PositiveSmallIntegerField(verbose_name='group size')),
                        ('price', models.BigIntegerField(verbose_name='group price (points)')),
                        ('member_count', models.PositiveSmallIntegerField(default=0, verbose_name='members')),
                        ('expires_at', models.DateTimeField(db_index=True, verbose_name='expires at')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('leader', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='groupbuys_led', to=settings.AUTH_USER_MODEL, verbose_name='leader')),
                    ],
                    options={
                        'verbose_name': 'group-buy group',
                        'verbose_name_plural': 'group-buy groups',
                        'db_table': 'referral_groupbuygroup',
                        'ordering': ['-id'],
                    },
                ),
                migrations.CreateModel(
                    name='GroupBuyMember',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('joined_at', models.DateTimeField(auto_now_add=True, verbose_name='joined at')),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='members', to='campaigns.groupbuygroup', verbose_name='group')),
                        ('order', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mall.order', verbose_name='order')),
                        ('refund', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='points.transaction', verbose_name='refund')),
                        ('transaction', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='points.transaction', verbose_name='payment')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='groupbuy_joins', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'group-buy member',
                        'verbose_name_plural': 'group-buy members',
                        'db_table': 'referral_groupbuymember',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='GroupBuyOffer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('group_size', models.PositiveSmallIntegerField(default=3, verbose_name='group size')),
                        ('price', models.BigIntegerField(verbose_name='group price (points)')),
                        ('time_limit_hours', models.PositiveIntegerField(default=24, verbose_name='time limit (hours)')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('starts_at', models.DateTimeField(blank=True, null=True, verbose_name='open from')),
                        ('ends_at', models.DateTimeField(blank=True, null=True, verbose_name='open until')),
                        ('groups_per_user', models.PositiveIntegerField(default=0, help_text='How many groups one user may open (0 = no limit).', verbose_name='groups per user')),
                        ('total_groups', models.PositiveIntegerField(default=0, help_text='How many groups may be opened in all (0 = no limit).', verbose_name='total groups')),
                        ('new_users_only', models.BooleanField(default=False, help_text='Only users without an earlier mall order may join.', verbose_name='new users only')),
                        ('sort_order', models.IntegerField(default=0, verbose_name='sort order')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('product', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='groupbuy_offers', to='mall.product', verbose_name='product')),
                    ],
                    options={
                        'verbose_name': 'group-buy offer',
                        'verbose_name_plural': 'group-buy offers',
                        'db_table': 'referral_groupbuyoffer',
                        'ordering': ['sort_order', 'id'],
                    },
                ),
                migrations.AddField(
                    model_name='groupbuygroup',
                    name='offer',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='groups', to='campaigns.groupbuyoffer', verbose_name='offer'),
                ),
                migrations.AddConstraint(
                    model_name='assistcampaign',
                    constraint=models.CheckConstraint(condition=models.Q(('helpers_required__gte', 1), ('helpers_required__lte', 100)), name='referral_assist_helpers_range'),
                ),
                migrations.AddConstraint(
                    model_name='assistcampaign',
                    constraint=models.CheckConstraint(condition=models.Q(('time_limit_hours__gte', 1)), name='referral_assist_time_limit_positive'),
                ),
                migrations.AddConstraint(
                    model_name='assistcampaign',
                    constraint=models.CheckConstraint(condition=models.Q(('helps_per_day__gte', 1)), name='referral_assist_helps_per_day_positive'),
                ),
                migrations.AddConstraint(
                    model_name='assistcampaign',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'assist'), ('reward_kind', 'points'), _negated=True), ('reward_points__gt', 0), _connector='OR'), name='referral_assist_points_reward_positive'),
                ),
                migrations.AddConstraint(
                    model_name='assistcampaign',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'bargain'), ('reward_kind', 'product'), _connector='OR', _negated=True), ('product__isnull', False), _connector='OR'), name='referral_assist_product_present'),
                ),
                migrations.AddIndex(
                    model_name='assisttask',
                    index=models.Index(fields=['status', 'expires_at'], name='referral_assist_open_due'),
                ),
                migrations.AddConstraint(
                    model_name='assisttask',
                    constraint=models.CheckConstraint(condition=models.Q(('progress__lte', models.F('required'))), name='referral_assist_not_overhelped'),
                ),
                migrations.AddConstraint(
                    model_name='assisttask',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'completed'), _negated=True), ('progress', models.F('required')), _connector='OR'), name='referral_assist_completed_is_full'),
                ),
                migrations.AddConstraint(
                    model_name='assisttask',
                    constraint=models.CheckConstraint(condition=models.Q(('current_price__gte', models.F('floor_price')), ('current_price__lte', models.F('start_price'))), name='referral_assist_price_between_floor_and_start'),
                ),
                migrations.AddConstraint(
                    model_name='assisttask',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('campaign', 'user'), name='referral_assist_one_open_task'),
                ),
                migrations.AddIndex(
                    model_name='assisthelp',
                    index=models.Index(fields=['helper', 'campaign', 'local_date'], name='referral_assist_helper_day'),
                ),
                migrations.AddConstraint(
                    model_name='assisthelp',
                    constraint=models.UniqueConstraint(fields=('task', 'helper'), name='referral_assist_help_once'),
                ),
                migrations.AddConstraint(
                    model_name='assisthelp',
                    constraint=models.CheckConstraint(condition=models.Q(('helper', models.F('starter')), _negated=True), name='referral_assist_no_self_help'),
                ),
                migrations.AddConstraint(
                    model_name='assisthelp',
                    constraint=models.CheckConstraint(condition=models.Q(('weight__gte', 1), ('weight__lte', 2)), name='referral_assist_weight_range'),
                ),
                migrations.AddConstraint(
                    model_name='groupbuymember',
                    constraint=models.UniqueConstraint(fields=('group', 'user'), name='referral_groupbuy_member_once'),
                ),
                migrations.AddConstraint(
                    model_name='groupbuyoffer',
                    constraint=models.CheckConstraint(condition=models.Q(('group_size__gte', 2), ('group_size__lte', 10)), name='referral_groupbuy_size_range'),
                ),
                migrations.AddConstraint(
                    model_name='groupbuyoffer',
                    constraint=models.CheckConstraint(condition=models.Q(('price__gt', 0)), name='referral_groupbuy_price_positive'),
                ),
                migrations.AddConstraint(
                    model_name='groupbuyoffer',
                    constraint=models.CheckConstraint(condition=models.Q(('time_limit_hours__gte', 1)), name='referral_groupbuy_time_limit_positive'),
                ),
                migrations.AddIndex(
                    model_name='groupbuygroup',
                    index=models.Index(fields=['status', 'expires_at'], name='referral_groupbuy_open_due'),
                ),
                migrations.AddConstraint(
                    model_name='groupbuygroup',
                    constraint=models.CheckConstraint(condition=models.Q(('member_count__lte', models.F('group_size'))), name='referral_groupbuy_group_not_overfull'),
                ),
                migrations.AddConstraint(
                    model_name='groupbuygroup',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'succeeded'), _negated=True), ('member_count', models.F('group_size')), _connector='OR'), name='referral_groupbuy_group_success_is_full'),
                ),
            ],
            database_operations=[],
        ),
    ]

"""The mall's models, moved from `points` with their tables: only Django's picture of them moves
(state); the database keeps every table, row, index, constraint and storage setting as it was."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('points', '0007_lot_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.CreateModel(
            name='Product',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('image', models.ImageField(blank=True, upload_to='mall/products/', verbose_name='image')),
                ('image_url', models.URLField(blank=True, max_length=500, verbose_name='image URL')),
                ('category', models.CharField(blank=True, db_index=True, max_length=50, verbose_name='category')),
                ('kind', models.CharField(choices=[('physical', 'physical goods'), ('voucher', 'in-store voucher'), ('coupon', 'coupon')], default='voucher', max_length=16, verbose_name='kind')),
                ('price', models.BigIntegerField(verbose_name='price (points)')),
                ('stock', models.PositiveIntegerField(blank=True, help_text='Empty means unlimited.', null=True, verbose_name='stock')),
                ('low_stock_threshold', models.PositiveIntegerField(default=5, verbose_name='low-stock threshold')),
                ('per_user_limit', models.PositiveIntegerField(default=0, help_text='How many one user may redeem in all (0 = no limit).', verbose_name='limit per user')),
                ('voucher_valid_days', models.PositiveIntegerField(default=30, help_text='Vouchers and coupons expire this many days after issue.', verbose_name='voucher valid for (days)')),
                ('is_active', models.BooleanField(default=True, verbose_name='on sale')),
                ('starts_at', models.DateTimeField(blank=True, null=True, verbose_name='on sale from')),
                ('ends_at', models.DateTimeField(blank=True, null=True, verbose_name='on sale until')),
                ('sort_order', models.IntegerField(default=0, verbose_name='sort order')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('level_required', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='points.level', verbose_name='level required')),
            ],
            options={
                'verbose_name': 'mall product',
                'verbose_name_plural': 'mall products',
                'db_table': 'points_product',
                'ordering': ['sort_order', 'id'],
            },
        ),
        migrations.CreateModel(
            name='StockLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('before', models.PositiveIntegerField(blank=True, null=True, verbose_name='stock before')),
                ('after', models.PositiveIntegerField(blank=True, null=True, verbose_name='stock after')),
                ('change', models.IntegerField(default=0, verbose_name='change')),
                ('reason', models.CharField(blank=True, max_length=200, verbose_name='reason')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='done by')),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='stock_logs', to='mall.product', verbose_name='product')),
            ],
            options={
                'verbose_name': 'stock change',
                'verbose_name_plural': 'stock changes',
                'db_table': 'points_stocklog',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='Store',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('address', models.CharField(blank=True, max_length=300, verbose_name='address')),
                ('phone', models.CharField(blank=True, max_length=30, verbose_name='phone')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('staff', models.ManyToManyField(blank=True, db_table='points_store_staff', related_name='mall_stores', to=settings.AUTH_USER_MODEL, verbose_name='store staff')),
            ],
            options={
                'verbose_name': 'store',
                'verbose_name_plural': 'stores',
                'db_table': 'points_store',
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='Order',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity', models.PositiveIntegerField(default=1, verbose_name='quantity')),
                ('points', models.BigIntegerField(verbose_name='points')),
                ('status', models.CharField(choices=[('created', 'created'), ('fulfilled', 'fulfilled'), ('completed', 'completed'), ('cancelled', 'cancelled'), ('awaiting_group', 'awaiting group'), ('awaiting_assist', 'awaiting helpers')], default='created', max_length=16, verbose_name='status')),
                ('address', models.CharField(blank=True, max_length=300, verbose_name='address')),
                ('idempotency_key', models.CharField(blank=True, max_length=100, verbose_name='request key')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='created at')),
                ('fulfilled_at', models.DateTimeField(blank=True, null=True, verbose_name='fulfilled at')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='cancelled at')),
                ('refund', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='points.transaction', verbose_name='refund')),
                ('transaction', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='points.transaction', verbose_name='debit')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='mall_orders', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='mall.product', verbose_name='product')),
                ('store', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='mall.store', verbose_name='pickup store')),
            ],
            options={
                'verbose_name': 'mall order',
                'verbose_name_plural': 'mall orders',
                'db_table': 'points_order',
                'ordering': ['-id'],
                'permissions': [('fulfil_order', 'Can fulfil and cancel mall orders')],
            },
        ),
        migrations.CreateModel(
            name='Coupon',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=16, unique=True, verbose_name='code')),
                ('status', models.CharField(choices=[('unused', 'unused'), ('used', 'used'), ('expired', 'expired'), ('cancelled', 'cancelled')], default='unused', max_length=16, verbose_name='status')),
                ('expires_at', models.DateTimeField(db_index=True, verbose_name='expires at')),
                ('used_at', models.DateTimeField(blank=True, null=True, verbose_name='used at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='mall_coupons', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                ('verified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='verified by')),
                ('order', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='coupons', to='mall.order', verbose_name='order')),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='coupons', to='mall.product', verbose_name='product')),
                ('store', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='coupons', to='mall.store', verbose_name='store')),
            ],
            options={
                'verbose_name': 'voucher',
                'verbose_name_plural': 'vouchers',
                'db_table': 'points_coupon',
                'ordering': ['-id'],
                'permissions': [('verify_coupon', 'Can verify vouchers in store')],
            },
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.CheckConstraint(condition=models.Q(('price__gt', 0)), name='points_product_price_positive'),
        ),
        migrations.AddConstraint(
            model_name='product',
            constraint=models.CheckConstraint(condition=models.Q(('stock__isnull', True), ('stock__gte', 0), _connector='OR'), name='points_product_stock_gte_0'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.UniqueConstraint(condition=models.Q(('idempotency_key', ''), _negated=True), fields=('user', 'idempotency_key'), name='points_order_one_per_request_key'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gte', 1)), name='points_order_quantity_positive'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.CheckConstraint(condition=models.Q(('points__gte', 0)), name='points_order_points_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='coupon',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'used'), _negated=True), ('used_at__isnull', False), _connector='OR'), name='points_coupon_used_has_time'),
        ),
                ],
            database_operations=[],
        ),
    ]

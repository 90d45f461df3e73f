"""Group-buy and assist leave `referral` for `campaigns` (state only: their tables stay, now owned
by `campaigns`)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('referral', '0005_product_and_order_in_mall'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='assisttask',
                    name='campaign',
                ),
                migrations.RemoveField(
                    model_name='assisthelp',
                    name='campaign',
                ),
                migrations.RemoveField(
                    model_name='assisthelp',
                    name='helper',
                ),
                migrations.RemoveField(
                    model_name='assisthelp',
                    name='referral',
                ),
                migrations.RemoveField(
                    model_name='assisthelp',
                    name='starter',
                ),
                migrations.RemoveField(
                    model_name='assisthelp',
                    name='task',
                ),
                migrations.RemoveField(
                    model_name='assisttask',
                    name='order',
                ),
                migrations.RemoveField(
                    model_name='assisttask',
                    name='reward_transaction',
                ),
                migrations.RemoveField(
                    model_name='assisttask',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='groupbuygroup',
                    name='leader',
                ),
                migrations.RemoveField(
                    model_name='groupbuygroup',
                    name='offer',
                ),
                migrations.RemoveField(
                    model_name='groupbuymember',
                    name='group',
                ),
                migrations.RemoveField(
                    model_name='groupbuymember',
                    name='order',
                ),
                migrations.RemoveField(
                    model_name='groupbuymember',
                    name='refund',
                ),
                migrations.RemoveField(
                    model_name='groupbuymember',
                    name='transaction',
                ),
                migrations.RemoveField(
                    model_name='groupbuymember',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='groupbuyoffer',
                    name='product',
                ),
                migrations.DeleteModel(
                    name='AssistCampaign',
                ),
                migrations.DeleteModel(
                    name='AssistHelp',
                ),
                migrations.DeleteModel(
                    name='AssistTask',
                ),
                migrations.DeleteModel(
                    name='GroupBuyGroup',
                ),
                migrations.DeleteModel(
                    name='GroupBuyMember',
                ),
                migrations.DeleteModel(
                    name='GroupBuyOffer',
                ),
            ],
            database_operations=[],
        ),
    ]

"""Demo challenges: the daily 早起打卡, a 21-day challenge with makeup check-ins, an all-day demo
challenge, and an attendance challenge (到店打卡) whose check-in is a visit the clerk records."""

import datetime as dt

from checkin.models import Challenge
from core.clock import local_today

DEMO_REMINDER_TEMPLATE = "demo-checkin-reminder"
# Check-ins all day: the demo members joined yesterday, so whoever tries the demo can check in as
# one of them at any hour, and join as anyone for tomorrow.
DEMO_ALL_DAY_TITLE = "全天打卡（演示）"
# Checked in by visits: a round runs from today, which the demo members joined yesterday, so the
# demo clerk can record a visit of theirs at /staff/visits/ at any hour.
DEMO_VISITS_TITLE = "到店打卡·7天护牙计划"


def seed(stdout=None) -> None:
    Challenge.objects.get_or_create(
        title="早起打卡",
        defaults={
            "kind": Challenge.Kind.DAILY,
            "rules_text": (
                "今天报名并押上 10-100 积分，明天 05:00-09:00 之间打卡。"
                "按时打卡的人按押金比例瓜分奖池（全部押金 + 每期 100 积分加码），至少拿回自己的押金；"
                "没有人打卡时奖池滚入下一期。"
            ),
            "window_start": dt.time(5, 0),
            "window_end": dt.time(9, 0),
            "stake_min": 10,
            "stake_max": 100,
            "bonus": 100,
            "split_rule": Challenge.SplitRule.PROPORTIONAL,
            "no_winner_rule": Challenge.NoWinnerRule.ROLLOVER,
            "reminder_template_id": DEMO_REMINDER_TEMPLATE,
            "sort_order": 0,
        },
    )
    Challenge.objects.get_or_create(
        title="21天早睡打卡",
        defaults={
            "kind": Challenge.Kind.MULTI_DAY,
            "rules_text": (
                "开始前报名并押上 50-500 积分。21 天里每晚 20:00-23:59 打卡，至少打卡 18 天即为成功，"
                "成功者取回押金并平分其余奖池。漏打的日子可以补签 3 次，每次 20 积分（最后一天不能补签）。"
                "无人成功时退还全部押金。"
            ),
            "start_date": local_today() + dt.timedelta(days=1),
            "duration_days": 21,
            "required_days": 18,
            "repeat": True,
            "window_start": dt.time(20, 0),
            "window_end": dt.time(23, 59),
            "stake_min": 50,
            "stake_max": 500,
            "bonus": 500,
            "split_rule": Challenge.SplitRule.EQUAL,
            "no_winner_rule": Challenge.NoWinnerRule.REFUND,
            "makeup_limit": 3,
            "makeup_cost": 20,
            "reminder_template_id": DEMO_REMINDER_TEMPLATE,
            "sort_order": 1,
        },
    )
    Challenge.objects.get_or_create(
        title=DEMO_ALL_DAY_TITLE,
        defaults={
            "kind": Challenge.Kind.DAILY,
            "rules_text": "演示用：今天报名押 10-50 积分，明天全天任意时间打卡；按时打卡的人平分奖池。",
            "window_start": dt.time(0, 0),
            "window_end": dt.time(23, 59),
            "stake_min": 10,
            "stake_max": 50,
            "bonus": 50,
            "split_rule": Challenge.SplitRule.EQUAL,
            "no_winner_rule": Challenge.NoWinnerRule.ROLLOVER,
            "sort_order": 2,
        },
    )
    Challenge.objects.get_or_create(
        title=DEMO_VISITS_TITLE,
        defaults={
            "kind": Challenge.Kind.MULTI_DAY,
            "checkin_by": Challenge.CheckinBy.VISIT,
            "rules_text": (
                "开始前报名并押上 20-100 积分。7 天里到店 3 次（每天最多计 1 次），在前台出示小程序里的会员码，"
                "由工作人员扫码登记即为打卡。到店满 3 天者取回押金并平分其余奖池；无人成功时退还全部押金。"
            ),
            "start_date": local_today(),
            "duration_days": 7,
            "required_days": 3,
            "repeat": True,
            "window_start": dt.time(0, 0),
            "window_end": dt.time(23, 59),
            "stake_min": 20,
            "stake_max": 100,
            "bonus": 200,
            "split_rule": Challenge.SplitRule.EQUAL,
            "no_winner_rule": Challenge.NoWinnerRule.REFUND,
            "sort_order": 3,
        },
    )
    if stdout is not None:
        stdout.write(
            "checkin: 早起打卡 (daily, 05:00-09:00), 21天早睡打卡 (21 days, 18 required), "
            f"{DEMO_ALL_DAY_TITLE} (daily, all day), {DEMO_VISITS_TITLE} (visits, 3 of 7 days)"
        )

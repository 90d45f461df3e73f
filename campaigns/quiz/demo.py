"""Demo quiz: a handful of oral-health questions (口腔知识) and the settings row. Idempotent."""

from campaigns.quiz.models import QuizConfig, QuizQuestion, QuizTopic

DEMO_TOPIC = "口腔知识"
DEMO_QUESTIONS = [
    # text, options, index of the right one, explanation
    (
        "每天应该刷几次牙？",
        ["1 次", "至少 2 次，早晚各一次", "饭后才刷", "想起来再刷"],
        1,
        "建议早晚各刷一次，睡前刷牙尤其重要，每次约 2 分钟。",
    ),
    (
        "牙刷一般多久更换一次？",
        ["每月", "每 3 个月左右", "每年", "刷毛掉光再换"],
        1,
        "刷毛弯曲后清洁效果变差，一般约 3 个月更换一次。",
    ),
    (
        "清洁牙缝最好用什么？",
        ["牙签", "牙线", "手指", "不用清洁"],
        1,
        "牙线能清洁牙刷刷不到的邻面，牙签容易损伤牙龈。",
    ),
    (
        "成年人建议多久洗一次牙（洁治）？",
        ["从不", "6-12 个月一次", "每周一次", "牙疼时再洗"],
        1,
        "定期洁治可去除牙结石，预防牙龈炎和牙周病。",
    ),
    (
        "含氟牙膏的主要作用是？",
        ["美白", "预防龋齿", "治疗牙周病", "清新口气"],
        1,
        "氟化物能增强牙釉质抗酸能力，预防龋齿。",
    ),
    (
        "刷牙出血最常见的原因是？",
        ["刷牙太用力或牙龈炎", "牙齿太白", "吃糖太少", "喝水太多"],
        0,
        "牙龈出血多提示牙龈炎症，应坚持正确刷牙并及时就诊检查。",
    ),
]


def seed_quiz(stdout=None) -> None:
    topic, _created = QuizTopic.objects.get_or_create(name=DEMO_TOPIC)
    for text, options, correct, explanation in DEMO_QUESTIONS:
        QuizQuestion.objects.get_or_create(
            text=text,
            defaults={"topic": topic, "options": options, "correct_index": correct, "explanation": explanation},
        )
    if not QuizConfig.objects.exists():
        QuizConfig.objects.create(questions_per_day=3, points_per_correct=5)
    if stdout is not None:
        stdout.write(f"campaigns: quiz with {len(DEMO_QUESTIONS)} oral-health questions ready")

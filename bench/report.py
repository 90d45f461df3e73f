"""The BENCH line: one figure, its goal, and whether it was met.

    BENCH <name> ratio=<value> goal=<op><goal> <details>

`op` is `>=` or `<=`. Details are `key=value` words (absolute times, counts); they are reported,
never judged.
"""

import re
from dataclasses import dataclass, field

OPS = (">=", "<=")
_LINE = re.compile(
    r"^BENCH (?P<name>[a-z0-9_]+) ratio=(?P<ratio>\S+) goal=(?P<op>>=|<=)(?P<goal>[0-9.]+)(?: (?P<rest>.*))?$"
)


@dataclass
class Figure:
    name: str
    ratio: float | None  # None: could not be measured (reported as ratio=nan, a miss)
    op: str
    goal: float
    details: dict = field(default_factory=dict)
    # Extra conditions of the goal (zero 5xx, zero oversell...): name -> held?
    conditions: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.op not in OPS:
            raise ValueError(f"op must be one of {OPS}, got {self.op!r}")

    @property
    def met(self) -> bool:
        return goal_met(self.ratio, self.op, self.goal) and all(self.conditions.values())

    def line(self) -> str:
        return format_line(self)


def goal_met(ratio: float | None, op: str, goal: float) -> bool:
    if ratio is None or ratio != ratio:  # None or NaN
        return False
    return ratio >= goal if op == ">=" else ratio <= goal


def ratio(subject: float, baseline: float) -> float | None:
    """subject / baseline, or None when the baseline is zero or missing."""
    if not baseline or subject is None:
        return None
    return subject / baseline


def _value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace(" ", "_")


def format_line(figure: Figure) -> str:
    shown = "nan" if figure.ratio is None else f"{figure.ratio:.3f}"
    goal = f"{figure.goal:g}"
    words = [f"{k}={_value(v)}" for k, v in figure.details.items()]
    words += [f"{k}={_value(v)}" for k, v in figure.conditions.items()]
    words.append("met=" + _value(figure.met))
    return f"BENCH {figure.name} ratio={shown} goal={figure.op}{goal} " + " ".join(words)


def parse_line(line: str) -> Figure:
    """The inverse of format_line (details come back as strings). ValueError when it is not one."""
    match = _LINE.match(line.strip())
    if match is None:
        raise ValueError(f"not a BENCH line: {line!r}")
    details = {}
    for word in (match["rest"] or "").split():
        key, _, value = word.partition("=")
        details[key] = value
    details.pop("met", None)
    value = match["ratio"]
    return Figure(
        name=match["name"],
        ratio=None if value == "nan" else float(value),
        op=match["op"],
        goal=float(match["goal"]),
        details=details,
    )


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]

"""Where the machine's CPU goes while a benchmark runs: every second, the CPU time used by the web
server (gunicorn), PostgreSQL, the load (locust), Redis and everything else, from /proc (Linux).

    .venv/bin/python bench/cpu_split.py > /tmp/cpu.txt &
    .venv/bin/python bench/run.py --quick --only redeem,lottery
    kill %1

Each line is `HH:MM:SS gunicorn=<ticks> pg=<ticks> ...` (ticks are 1/100 s of one core; two cores
give at most 200 a second). Divided by a phase's answers per second, a phase's lines give the CPU
one answer costs in each process (docs/benchmarks.md, "What the profile shows now"). A process
that exits during a second shows a negative number for that second.
"""

import os
import time

TICKS = os.sysconf("SC_CLK_TCK")


def group_of(comm: str, command: str) -> str:
    if comm.startswith("postgres"):
        return "pg"
    if "gunicorn" in command:
        return "gunicorn"
    if "locust" in command:
        return "locust"
    if comm.startswith("redis"):
        return "redis"
    return "other"


def cpu_by_group() -> dict[str, int]:
    """Ticks of CPU (user + system) used so far by the live processes of each group."""
    totals: dict[str, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                stat = handle.read()
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = int(fields[11]) + int(fields[12])  # utime, stime
        group = group_of(comm, command)
        totals[group] = totals.get(group, 0) + used
    return totals


def main() -> None:
    before = cpu_by_group()
    while True:
        time.sleep(1)
        now = cpu_by_group()
        spent = {group: now.get(group, 0) - before.get(group, 0) for group in now}
        line = " ".join(f"{group}={ticks * 100 // TICKS}" for group, ticks in sorted(spent.items()) if ticks)
        print(time.strftime("%H:%M:%S"), line, flush=True)
        before = now


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""tty-check.py - what a person at a terminal saw of a run.

  tests/tty-check.py TYPESCRIPT RUN_DIR

TYPESCRIPT is what script(1) recorded of 'nicq run' with both stdout and
stderr on its terminal.  Checks:
  - progress lines were drawn on the terminal ("\\r<line>\\e[K"), naming
    "nicq [n/N] <cell> <case>", at least one with the point's phase, with
    the time taken and, after the first, an estimate of the time left;
  - taking every progress draw and erase away, what is left is exactly
    run.tap followed by nicq's own stderr lines: TAP was never mixed with
    the progress line, even on the same terminal.
Prints what it found; exits 1 on a problem, 2 on bad usage.
"""
import os
import re
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        ts = f.read().decode("utf-8", errors="replace")
    with open(os.path.join(sys.argv[2], "run.tap"), encoding="utf-8") as f:
        tap = f.read()
    problems = []
    ts = ts.replace("\r\n", "\n")
    # script(1)'s own first and last lines
    ts = re.sub(r"\AScript started on [^\n]*\n", "", ts)
    ts = re.sub(r"\nScript done on [^\n]*\n?\Z", "\n", ts)
    draw = re.compile(r"\r(nicq \[\d+/\d+\] [^\r\n\x1b]*)\x1b\[K")
    draws = draw.findall(ts)
    rest = draw.sub("", ts).replace("\r\x1b[K", "")
    if not draws:
        problems.append("no progress line was drawn")
    # "nicq [n/N] <cell> <case>[: <phase>]  m:ss | run m:ss[, ~N min left]",
    # the phase cut short ("~") when the terminal is narrow
    # (with --jobs, "[n-m/N]" and each running point with its time)
    line = re.compile(r"^nicq \[(\d+)(-\d+)?/(\d+)\] (\S+ vhost=(?:on|off)) "
                      r"(\S+?)(~|: [^~]*~?)?  ?\d+:\d\d(:\d\d)?(,.*)? \| run "
                      r"\d+:\d\d(:\d\d)?(, ~\d+ min left)?$")
    # between points, or after the last one while the lab is torn down
    # and the reports are written: no point is running
    idle = re.compile(r"^nicq \[\d+/\d+\] run \d+:\d\d(:\d\d)?"
                      r"(, ~\d+ min left)?$")
    bad = [d for d in draws if not line.match(d) and not idle.match(d)]
    if bad:
        problems.append(f"progress lines not as expected: {bad[:3]}")
    if draws and not any(line.match(d) and line.match(d).group(6)
                         for d in draws):
        problems.append("no progress line names a phase")
    if draws and not any("left" in d for d in draws):
        problems.append("no progress line estimates the time left")
    # the terminal's text without the progress: TAP, then nicq's stderr
    lines = rest.split("\n")
    taplines = tap.split("\n")
    if lines[:len(taplines) - 1] != taplines[:-1]:
        for i, (a, b) in enumerate(zip(lines, taplines)):
            if a != b:
                problems.append(f"terminal line {i + 1} is {a!r}, run.tap "
                                f"has {b!r}")
                break
        else:
            problems.append("the terminal shows less than run.tap")
    extra = [x for x in lines[len(taplines) - 1:] if x.strip()]
    if any(not x.startswith("nicq: ") for x in extra):
        problems.append(f"more on the terminal than TAP and nicq's own "
                        f"messages: {extra[:3]}")
    print(f"tty-check: {len(draws)} progress draws, e.g. "
          f"{draws[len(draws) // 2] if draws else None!r}; "
          f"{len(problems)} problems")
    for p in problems:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

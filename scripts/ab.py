#!/usr/bin/env python3
"""Times command A against command B as whole processes, A B A B.

    scripts/ab.py [-n RUNS] [--warmup N] --vs 'COMMAND B' -- COMMAND A ...

Each run's wall time, CPU time (user + sys) and peak resident memory are what
GNU time (/usr/bin/time) reads from the kernel's accounting of the finished
process. Pairs alternate so a drift in the machine's speed falls on both
sides; the ratios A/B are taken pair by pair and their median printed beside
each side's median. Output of the commands is discarded.
"""
import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile


def run(argv):
    with tempfile.NamedTemporaryFile("r") as out:
        timed = ["/usr/bin/time", "-q", "-o", out.name, "-f", "%e %U %S %M"] + argv
        code = subprocess.call(timed, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if code != 0:
            sys.exit(f"ab.py: {shlex.join(argv)} exited with {code}")
        wall, user, system, kib = out.read().split()
    return {"wall s": float(wall), "cpu s": float(user) + float(system), "peak MiB": int(kib) / 1024}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", type=int, default=3, help="counted pairs (3)")
    p.add_argument("--warmup", type=int, default=1, help="uncounted pairs first (1)")
    p.add_argument("--vs", required=True, help="command B, split as a shell splits words")
    p.add_argument("a", nargs=argparse.REMAINDER, help="command A, after --")
    args = p.parse_args()
    a = args.a[1:] if args.a[:1] == ["--"] else args.a
    b = shlex.split(args.vs)
    if not a:
        p.error("give command A after --")
    runs = {"A": [], "B": []}
    total = args.warmup + args.n
    for i in range(total):
        for side, argv in (("A", a), ("B", b)):
            print(f"ab.py: pair {i + 1}/{total}{' (warm-up)' if i < args.warmup else ''}: {side}",
                  file=sys.stderr, flush=True)
            figures = run(argv)
            if i >= args.warmup:
                runs[side].append(figures)
    print(f"A: {shlex.join(a)}\nB: {shlex.join(b)}\n{args.n} pairs after {args.warmup} warm-up\n")
    print("| figure | A median | B median | A/B median | A/B min | A/B max |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for key in ("wall s", "cpu s", "peak MiB"):
        av = [r[key] for r in runs["A"]]
        bv = [r[key] for r in runs["B"]]
        ratios = [x / y for x, y in zip(av, bv) if y > 0]
        r = (f"{statistics.median(ratios):.2f}x | {min(ratios):.2f}x | {max(ratios):.2f}x"
             if ratios else "n/a | n/a | n/a")
        print(f"| {key} | {statistics.median(av):,.2f} | {statistics.median(bv):,.2f} | {r} |")

if __name__ == "__main__":
    main()

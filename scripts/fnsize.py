#!/usr/bin/env python3
"""Function size budget (STYLE.md §2) for kernel-style C.

A function body opens with '{' in column 0 and closes with '}' in column 0
(clang-format guarantees that layout). Reports the median length and the
share of lines in functions over 100 lines; fails on a function over 100
lines that does not carry a 'size-budget:' comment saying why, or when
that share passes 10%."""
import statistics
import sys


def functions(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    start = None
    for i, line in enumerate(lines):
        if line.startswith("{") and start is None:
            start = i
        elif line.startswith("}") and start is not None:
            body = lines[start:i + 1]
            # Aggregate initialisers ("= {" at the end of the previous
            # line) are data, not functions.
            prev = lines[start - 1].rstrip() if start else ""
            if not prev.endswith("="):
                name = prev.split("(")[0].split()[-1] if "(" in prev else prev
                yield name, start + 1, len(body), "size-budget:" in "\n".join(body)
            start = None


def main(paths):
    sizes = []
    bad = []
    for p in paths:
        if not p.endswith(".c"):
            continue
        for name, line, n, excused in functions(p):
            sizes.append(n)
            if n > 100 and not excused:
                bad.append(f"lint: {p}:{line}: function {name} is {n} lines"
                           " (budget 100; add a size-budget: reason)")
    if not sizes:
        return 0
    total = sum(sizes)
    big = sum(n for n in sizes if n > 100)
    share = 100.0 * big / total
    for b in bad:
        print(b)
    print(f"lint: {len(sizes)} functions, median {statistics.median(sizes):.0f}"
          f" lines, {share:.1f}% of function lines in functions over 100")
    if share > 10.0:
        print("lint: more than 10% of code in functions over 100 lines")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

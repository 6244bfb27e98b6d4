#!/bin/bash
# make bench: runs every tests/bench/bench_*.sh in order. Each prints its
# own table of figures with the baseline it is compared against. Figures
# only: a benchmark never fails the build for being slow.
set -eu
build=${1:-build}
for b in tests/bench/bench_*.sh; do
	[ -e "$b" ] || continue
	echo "=== $(basename "$b" .sh)"
	AKIOS_BUILD=$build bash "$b"
	echo
done

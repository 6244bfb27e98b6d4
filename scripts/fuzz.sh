#!/bin/bash
# make fuzz: runs every libFuzzer harness in $1 for FUZZ_SECONDS each,
# starting from and growing its corpus under tests/fuzz/corpus/<name>/.
# New crashing inputs land in build-fuzz/crashes/<name>/.
set -eu
dir=$1
secs=${FUZZ_SECONDS:-60}
status=0
for bin in "$dir"/fuzz_*; do
	case $bin in *.d | *.o) continue ;; esac # compiler dependency files
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus=tests/fuzz/corpus/$name
	crashes=build-fuzz/crashes/$name
	mkdir -p "$corpus" "$crashes"
	echo "== $name: ${secs}s"
	if ! "$bin" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$crashes/" "$corpus" 2>build-fuzz/$name.log; then
		tail -n 40 build-fuzz/$name.log
		status=1
	fi
	grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' build-fuzz/$name.log || true
done
exit $status

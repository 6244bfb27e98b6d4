#!/bin/bash
# Audit ledger benchmark (issue 4): append throughput of N small events
# with group commit and with one fdatasync per event, beside the baseline
# of writing the same bytes with the same fdatasync batching on the same
# disk; verify throughput (library and CLI); peak memory at two log sizes
# to show it does not grow with the log. Figures only, never a failure.
set -eu
build=${AKIOS_BUILD:-build}
bin=$build/bench/bench_audit
akios=$build/akios
N=${AUDIT_BENCH_EVENTS:-1000000}
GROUP=${AUDIT_BENCH_GROUP:-1024}
NSYNC=${AUDIT_BENCH_SYNC_EVENTS:-2000}
small=$((N / 10))

# Same disk as the build tree, not tmpfs.
work=$(mktemp -d "$PWD/.bench-audit.XXXXXX")
trap 'rm -rf "$work"' EXIT
export AKIOS_KEY_DIR=$work/keys

# Two rounds of append and baseline, interleaved; the best of each counts
# (the disk and CPU are shared, so single runs are noisy).
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b != "" && b < a) ? b : a }'; }
t_g="" t_raw=""
for round in 1 2; do
	rm -rf "$work/group"
	read -r t n_g rss_g < <("$bin" append "$work/group" "$N" "$GROUP")
	t_g=$(best "$t" "$t_g")
	bytes=$(stat -c %s "$work/group/events.log")
	gbytes=$((bytes / N * GROUP))
	read -r t b_raw rss_raw < <("$bin" raw "$work/group/events.log" \
		"$work/raw.bin" "$gbytes")
	t_raw=$(best "$t" "$t_raw")
	rm -f "$work/raw.bin"
done
read -r t_gs n_gs rss_gs < <("$bin" append "$work/small" "$small" "$GROUP")
read -r t_gb n_gb rss_gb < <("$bin" append-build "$work/build" "$small" "$GROUP")
read -r t_s n_s rss_s < <("$bin" append "$work/sync" "$NSYNC" 1)
read -r t_v n_v rss_v < <("$bin" verify "$work/group" "$work/keys/akios.pub")
read -r t_vs n_vs rss_vs < <("$bin" verify "$work/small" \
	"$work/keys/akios.pub")
read -r t_cli rss_cli < <(/usr/bin/time -f "%e %M" "$akios" audit verify \
	--audit-dir "$work/group" --pub "$work/keys/akios.pub" 2>&1 >/dev/null |
	tail -n 1)

rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }'; }
mb() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.1f", (t > 0 ? b / t / 1048576 : 0) }'; }
avg=$((bytes / N))
echo "append and baseline: best of 2 interleaved rounds"
echo "log: $N events, $bytes bytes ($avg bytes/record), group commit every $GROUP events ($gbytes bytes)"
printf '%-44s %12s %10s %12s\n' "measure" "events/s" "MiB/s" "peak RSS KiB"
printf '%-44s %12s %10s %12s\n' "append, group commit ($N events)" \
	"$(rate "$n_g" "$t_g")" "$(mb "$bytes" "$t_g")" "$rss_g"
printf '%-44s %12s %10s %12s\n' "append, group commit ($small events)" \
	"$(rate "$n_gs" "$t_gs")" "-" "$rss_gs"
printf '%-44s %12s %10s %12s\n' "append, fields built per event ($small)" \
	"$(rate "$n_gb" "$t_gb")" "-" "$rss_gb"
printf '%-44s %12s %10s %12s\n' "baseline: same bytes, same fdatasyncs" \
	"$(rate "$N" "$t_raw")" "$(mb "$b_raw" "$t_raw")" "$rss_raw"
printf '%-44s %12s %10s %12s\n' "append, fdatasync per event ($NSYNC events)" \
	"$(rate "$n_s" "$t_s")" "-" "$rss_s"
printf '%-44s %12s %10s %12s\n' "verify, library ($N events)" \
	"$(rate "$n_v" "$t_v")" "$(mb "$bytes" "$t_v")" "$rss_v"
printf '%-44s %12s %10s %12s\n' "verify, library ($small events)" \
	"$(rate "$n_vs" "$t_vs")" "-" "$rss_vs"
printf '%-44s %12s %10s %12s\n' "akios audit verify CLI ($N events)" \
	"$(rate "$N" "$t_cli")" "-" "$rss_cli"
awk -v a="$t_g" -v r="$t_raw" 'BEGIN { printf "append time / baseline time: %.2fx (target <= 2x)\n", (r > 0 ? a / r : 0) }'

# Writer open (every akios run opens the log): with events.state only the
# records after the newest checkpoint are read; without it (deleted before
# each open) the tree is rebuilt from the first record.
ms() { awk -v s="$1" 'BEGIN { printf "%.3f", s * 1000 }'; }
read -r t_of c_of _ < <("$bin" open-full "$work/small" 5)
read -r t_o c_o _ < <("$bin" open "$work/small" 21)
read -r t_o1 c_o1 _ < <("$bin" open "$work/group" 21)
printf '%-44s %12s %10s\n' "writer open" "wall ms" "CPU ms"
printf '%-44s %12s %10s\n' "full rebuild ($small events, median of 5)" \
	"$(ms "$t_of")" "$(ms "$c_of")"
printf '%-44s %12s %10s\n' "events.state ($small events, median of 21)" \
	"$(ms "$t_o")" "$(ms "$c_o")"
printf '%-44s %12s %10s\n' "events.state ($N events, median of 21)" \
	"$(ms "$t_o1")" "$(ms "$c_o1")"

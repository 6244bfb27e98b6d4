#!/bin/bash
# make bench, the cage: (1) start-up of /bin/true bare, under bwrap with
# all namespaces, and under `akios run` with the full cage (namespaces,
# pivot_root view, /proc, Landlock, caps, seccomp, audit log on tmpfs);
# (2) a syscall-heavy python3 workload (open/read/stat of many small
# files) bare and caged, timed inside the workload so start-up does not
# count. Figures only; medians of interleaved runs.
set -eu
build=${AKIOS_BUILD:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
akios="$root/$build/akios"
timer="$root/$build/bench/spawn_time"
runs=${BENCH_RUNS:-30}
mkdir -p "$root/$build/bench"
cc -O2 -o "$timer" "$root/tests/bench/spawn_time.c"
work=$(mktemp -d /tmp/akios-bench-XXXXXX)
audit=$(mktemp -d /dev/shm/akios-bench-audit-XXXXXX)
trap 'rm -rf "$work" "$audit"' EXIT
cd "$work"
export AKIOS_KEY_DIR="$work/keys"

have_bwrap=1
command -v bwrap >/dev/null || have_bwrap=0
bw=(bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc
	--dev /dev --tmpfs /tmp /bin/true)
ak=("$akios" run --audit-dir "$audit" -- /bin/true)
args=(/bin/true ::: "${ak[@]}" ::: "$akios" version)
[ "$have_bwrap" = 1 ] && args+=(::: "${bw[@]}")
mapfile -t t < <("$timer" "$runs" "${args[@]}")
bare=${t[0]% *}
akr=${t[1]% *}
ver=${t[2]% *}
bwr=${t[3]:-0 0}
bwr=${bwr% *}
# The cage alone: clone to reaped exit, as akios measures it (run.end).
cage=$("$akios" audit show --audit-dir "$audit" 2>/dev/null |
	grep -o '"wall_ms":[0-9.]*' | cut -d: -f2 | sort -n |
	awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2fx" : "-"), a / b }'; }
echo "(1) start-up of /bin/true, median of $runs interleaved runs (ms)"
printf '  %-44s %9s %9s %9s\n' variant ms "vs bare" "vs bwrap"
printf '  %-44s %9.2f %9s %9s\n' "bare /bin/true" "$bare" 1.00x -
[ "$have_bwrap" = 1 ] && printf '  %-44s %9.2f %9s %9s\n' \
	"bwrap --unshare-all ... /bin/true" "$bwr" "$(ratio "$bwr" "$bare")" 1.00x
printf '  %-44s %9.2f %9s %9s\n' "akios run -- /bin/true (end to end)" \
	"$akr" "$(ratio "$akr" "$bare")" "$(ratio "$akr" "$bwr")"
printf '  %-44s %9.2f %9s %9s\n' "  of which: the cage (clone..reaped, run.end)" \
	"$cage" "$(ratio "$cage" "$bare")" "$(ratio "$cage" "$bwr")"
printf '  %-44s %9.2f %9s %9s\n' "  floor: akios version (exec + libraries)" \
	"$ver" "$(ratio "$ver" "$bare")" "$(ratio "$ver" "$bwr")"
echo "  target: akios at most 0.75x bwrap"

# (2) syscall-heavy: the script times its own loop.
mkdir -p data
cat >walk.py <<'PY'
import os, sys, time
d = "data"
if not os.listdir(d):
    for i in range(2000):
        with open(f"{d}/f{i}.txt", "w") as f:
            f.write("x" * 64)
t = time.perf_counter()
n = 0
for _ in range(5):
    for name in os.listdir(d):
        p = os.path.join(d, name)
        os.stat(p)
        with open(p, "rb") as f:
            n += len(f.read())
print(f"{(time.perf_counter() - t) * 1000:.3f}")
PY
python3 walk.py >/dev/null
bare2=()
cage2=()
for i in $(seq 7); do
	bare2+=("$(python3 walk.py)")
	cage2+=("$("$akios" run --audit-dir "$audit" -- python3 walk.py)")
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
b2=$(med "${bare2[@]}")
c2=$(med "${cage2[@]}")
echo
echo "(2) python3: 5 x (listdir + stat + open + read) of 2000 files, in-script ms, median of 7"
printf '  %-44s %9.2f\n' bare "$b2"
printf '  %-44s %9.2f %+8.1f%%\n' "akios run (Landlock + seccomp + view)" "$c2" \
	"$(awk -v a="$c2" -v b="$b2" 'BEGIN { print (a - b) * 100 / b }')"
echo "  target: at most 5% over bare"

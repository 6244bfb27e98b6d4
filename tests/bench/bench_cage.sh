#!/bin/bash
# make bench, the cage: (1) start-up of /bin/true bare, under bwrap with
# all namespaces, and under `akios run` with the full cage (namespaces,
# pivot_root view, /proc, Landlock, caps, seccomp, audit log on tmpfs),
# end to end and the cage alone; (2) a syscall-heavy python3 workload
# (open/read/stat of many small files) bare and caged, timed inside the
# workload so start-up does not count. Figures only: medians of
# interleaved runs, wall time and CPU time (user+sys of the whole process
# tree, less sensitive to other load on a shared machine).
set -eu
build=${AKIOS_BUILD:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
akios="$root/$build/akios"
timer="$root/$build/bench/spawn_time"
runs=${BENCH_RUNS:-100}
mkdir -p "$root/$build/bench"
[ "$timer" -nt "$root/tests/bench/spawn_time.c" ] || cc -O2 -o "$timer" "$root/tests/bench/spawn_time.c"
work=$(mktemp -d /tmp/akios-bench-XXXXXX)
audit=$(mktemp -d /dev/shm/akios-bench-audit-XXXXXX)
trap 'rm -rf "$work" "$audit"' EXIT
cd "$work"
export AKIOS_KEY_DIR="$work/keys"
"$akios" run --audit-dir "$audit" -- /bin/true # the key, a warm cache

have_bwrap=1
command -v bwrap >/dev/null || have_bwrap=0
bw=(bwrap --unshare-all --die-with-parent --ro-bind / / --proc /proc
	--dev /dev --tmpfs /tmp /bin/true)
ak=("$akios" run --audit-dir "$audit" -- /bin/true)
args=(/bin/true ::: "${ak[@]}" ::: "$akios" version)
[ "$have_bwrap" = 1 ] && args+=(::: "${bw[@]}")
load0=$(cut -d' ' -f1 /proc/loadavg)
# One line per command: median wall, mean wall, min wall, median CPU.
mapfile -t t < <("$timer" "$runs" "${args[@]}")
load1=$(cut -d' ' -f1 /proc/loadavg)
col() { echo "$1" | cut -d' ' -f"$2"; }
med() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
# The cage alone, as akios measures it (run.end: wall_ms, the sentinel
# and clone3 to the agent's end with every cage process reaped, and
# user_ms + sys_ms of the cage's processes).
ends=$("$akios" audit show --audit-dir "$audit" 2>/dev/null | grep run.end)
cage_w=$(echo "$ends" | grep -o '"wall_ms":[0-9.]*' | cut -d: -f2 | med)
cage_c=$(echo "$ends" | sed -n 's/.*"user_ms":\([0-9.]*\),"sys_ms":\([0-9.]*\).*/\1 \2/p' |
	awk '{print $1 + $2}' | med)
bare_w=$(col "${t[0]}" 1) bare_c=$(col "${t[0]}" 4)
ak_w=$(col "${t[1]}" 1) ak_c=$(col "${t[1]}" 4)
ver_w=$(col "${t[2]}" 1) ver_c=$(col "${t[2]}" 4)
bw_w=$(col "${t[3]:-0 0 0 0}" 1) bw_c=$(col "${t[3]:-0 0 0 0}" 4)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2fx" : "-"), a / b }'; }
row() { # name wall cpu
	printf '  %-40s %7.2f %7s %7s %7.2f %7s %7s\n' "$1" "$2" \
		"$(ratio "$2" "$bare_w")" "$(ratio "$2" "$bw_w")" "$3" \
		"$(ratio "$3" "$bare_c")" "$(ratio "$3" "$bw_c")"
}
echo "(1) start-up of /bin/true, medians of $runs interleaved runs"
echo "    (load average $load0 before, $load1 after; 2 cores)"
printf '  %-40s %7s %7s %7s %7s %7s %7s\n' variant "wall ms" "/bare" \
	"/bwrap" "cpu ms" "/bare" "/bwrap"
row "bare /bin/true" "$bare_w" "$bare_c"
[ "$have_bwrap" = 1 ] && row "bwrap --unshare-all ... /bin/true" "$bw_w" "$bw_c"
row "akios: the cage only (run.end)" "$cage_w" "$cage_c"
row "akios run -- /bin/true (end to end)" "$ak_w" "$ak_c"
row "floor: akios version (exec, libraries)" "$ver_w" "$ver_c"
echo "  the cage only: sentinel and clone3 to the agent's end, every cage"
echo "  process reaped (the namespaces' teardown is after), as akios times it; its CPU is"
echo "  the cage's processes (the supervisor's share is in end to end)"
echo "  target: akios run end to end at most 0.75x bwrap (wall)"

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
b2=$(printf '%s\n' "${bare2[@]}" | med)
c2=$(printf '%s\n' "${cage2[@]}" | med)
echo
echo "(2) python3: 5 x (listdir + stat + open + read) of 2000 files, in-script ms, median of 7"
printf '  %-44s %9.2f\n' bare "$b2"
printf '  %-44s %9.2f %+8.1f%%\n' "akios run (Landlock + seccomp + view)" "$c2" \
	"$(awk -v a="$c2" -v b="$b2" 'BEGIN { print (a - b) * 100 / b }')"
echo "  target: at most 5% over bare"

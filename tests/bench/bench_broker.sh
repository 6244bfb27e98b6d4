#!/bin/bash
# The broker's costs (issue 6): one trapped connect (brokered through the
# relay) against the same connect uncaged, with and without
# SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP; one trapped execve (fork+exec+wait
# of /bin/true) and a shell script of many execs against uncaged, as
# medians of wall and CPU time; relay throughput against a direct
# connection; one UDP datagram sent with an address (sendto) and on a
# connected socket (sendmsg: always trapped, its address is in memory)
# within the cage's loopback. Loopback only. Figures, not pass/fail. A
# brokered connect is connect-first: the relay dials the host endpoint,
# the call returns once that upstream answered (so a refused one is
# ECONNREFUSED) and the agent's socket is connected to the relay; the
# "broker" connect column includes the upstream handshake.
set -eu
B=${AKIOS_BUILD:-build}
BENCH=$B/bench/bench_broker
CLIENT=$B/tests/helpers/broker_client
N=${BENCH_N:-2000}
MB=${BENCH_MB:-512}
if [ ! -x "$BENCH" ] || [ ! -x "$CLIENT" ]; then
	make -s "$BENCH" "$CLIENT" "$B/tests/helpers/broker_cage" >/dev/null
fi

# run KEY MODE ARGS... → the value of the "KEY=" line of the output
run() {
	local key=$1
	shift
	"$BENCH" "$B" "$@" 2>/dev/null | sed -n "s/^$key=\([0-9.]*\)$/\1/p"
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
		print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

row() { # name, baseline, value, unit
	awk -v n="$1" -v a="$2" -v b="$3" -v u="$4" 'BEGIN {
		r = (a > 0) ? b / a : 0
		printf "%-40s %10.2f %10.2f %-5s %7.2fx\n", n, a, b, u, r }'
}

# exec: ROUNDS rounds, uncaged and trapped interleaved so a load change
# hits both; medians over rounds (and, for one call, over the calls of
# a round). CPU is user + sys of everything involved: the agent side,
# the broker's process, every exec'd program. Three measures:
#  - one execve alone: a missing path, in the process itself (no fork,
#    no program start): the notification, the broker's decision and
#    CONTINUE against the bare call; its CPU is the difference between
#    a run of 2*NF calls and one of NF, per call (start-up cancels out);
#  - fork + execve /bin/true + wait: the same cost inside a real exec;
#  - a shell script with many execs: basename, grep and expr, NS times
#    each, with the forks of $(...) and a pipeline (a configure-like
#    script).
ROUNDS=${BENCH_ROUNDS:-7}
ROUNDS_F=${BENCH_ROUNDS_FAIL:-15}
NE=${BENCH_EXEC_N:-100}
NF=${BENCH_EXECFAIL_N:-4000}
NS=${BENCH_SCRIPT_N:-30}
SCRIPT="i=0; while [ \$i -lt $NS ]; do b=\$(basename /x/y\$i);
echo \"\$b\" | grep -q y; expr \$i + 1 >/dev/null; i=\$((i + 1)); done"
declare -a fw_d fw_c fc_d fc_c ew_d ew_c ec_d ec_c sw_d sw_c sc_d sc_c
key() { sed -n "s/^$1=//p" <<<"$2"; }
# The call alone is cheap: more rounds, and many calls per run so the
# start-up's own CPU (a new netns, the filter) cancels out in 2N - N.
for ((r = 0; r < ROUNDS_F; r++)); do
	for mode in direct cage; do
		o1=$("$BENCH" "$B" $mode "$CLIENT" bench-execfail "$NF" 2>/dev/null)
		o2=$("$BENCH" "$B" $mode "$CLIENT" bench-execfail $((2 * NF)) \
			2>/dev/null)
		fw=$(key us "$o1")
		fc=$(awk -v a="$(key cpu_us "$o1")" -v b="$(key cpu_us "$o2")" \
			-v n="$NF" 'BEGIN { print (b - a) / n }')
		if [ $mode = direct ]; then
			fw_d+=("$fw") fc_d+=("$fc")
		else
			fw_c+=("$fw") fc_c+=("$fc")
		fi
	done
done
for ((r = 0; r < ROUNDS; r++)); do
	for mode in direct cage; do
		out=$("$BENCH" "$B" $mode "$CLIENT" bench-exec "$NE" 2>/dev/null)
		ew=$(key us "$out")
		ec=$(awk -v c="$(key cpu_us "$out")" -v n="$((NE + 20))" \
			'BEGIN { print c / n }')
		out=$("$BENCH" "$B" $mode /bin/sh -c "$SCRIPT" 2>/dev/null)
		sw=$(key wall_us "$out")
		sc=$(key cpu_us "$out")
		if [ $mode = direct ]; then
			ew_d+=("$ew") ec_d+=("$ec") sw_d+=("$sw") sc_d+=("$sc")
		else
			ew_c+=("$ew") ec_c+=("$ec") sw_c+=("$sw") sc_c+=("$sc")
		fi
	done
done
ms() { awk -v v="$1" 'BEGIN { print v / 1000 }'; }
u_direct=$(run us direct "$CLIENT" bench-udp "$N" 1)
u_sync=$(run us cage "$CLIENT" bench-udp "$N" 1)
m_direct=$(run us direct "$CLIENT" bench-udp "$N" 0)
m_sync=$(run us cage "$CLIENT" bench-udp "$N" 0)

c_direct=$(run us direct "$CLIENT" bench-connect @ACCEPT "$N")
c_sync=$(run us cage "$CLIENT" bench-connect @ACCEPT "$N")
c_nosync=$(run us cage-nosync "$CLIENT" bench-connect @ACCEPT "$N")
t_direct=$(run mbps direct "$CLIENT" bench-send @SINK "$MB")
t_relay=$(run mbps cage "$CLIENT" bench-send @SINK "$MB")

printf "%-40s %10s %10s %-5s %8s\n" "measure" "uncaged" "broker" "unit" "ratio"
row "connect (SYNC_WAKE_UP)" "$c_direct" "$c_sync" "us"
row "connect (no SYNC_WAKE_UP)" "$c_direct" "$c_nosync" "us"
row "execve alone (missing path), wall" "$(median "${fw_d[@]}")" \
	"$(median "${fw_c[@]}")" "us"
row "execve alone (missing path), CPU" "$(median "${fc_d[@]}")" \
	"$(median "${fc_c[@]}")" "us"
row "fork+execve /bin/true, wall (median)" "$(median "${ew_d[@]}")" \
	"$(median "${ew_c[@]}")" "us"
row "fork+execve /bin/true, CPU (median)" "$(median "${ec_d[@]}")" \
	"$(median "${ec_c[@]}")" "us"
row "sh script, $((3 * NS)) execs, wall (median)" "$(ms "$(median "${sw_d[@]}")")" \
	"$(ms "$(median "${sw_c[@]}")")" "ms"
row "sh script, $((3 * NS)) execs, CPU (median)" "$(ms "$(median "${sc_d[@]}")")" \
	"$(ms "$(median "${sc_c[@]}")")" "ms"
row "UDP sendto with address (SYNC)" "$u_direct" "$u_sync" "us"
row "UDP sendmsg, connected (SYNC)" "$m_direct" "$m_sync" "us"
row "TCP throughput, relay (splice)" "$t_direct" "$t_relay" "MiB/s"
echo "(connect: $N iterations each; throughput: $MB MiB; exec: medians of" \
	"$ROUNDS_F (execve alone) or $ROUNDS interleaved rounds; CPU = user+sys of agent, broker and" \
	"children)"
echo "(load when done: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs)"

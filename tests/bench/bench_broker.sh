#!/bin/bash
# The broker's costs (issue 6): one trapped connect (brokered through the
# relay) against the same connect uncaged, with and without
# SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP; one trapped execve (fork+exec+wait
# of /bin/true) against uncaged; relay throughput against a direct
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

# run MODE ARGS... → the number after "=" in the client's output
run() {
	"$BENCH" "$B" "$@" 2>/dev/null | sed -n 's/^[a-z]*=\([0-9.]*\)$/\1/p'
}

row() { # name, baseline, value, unit
	awk -v n="$1" -v a="$2" -v b="$3" -v u="$4" 'BEGIN {
		r = (a > 0) ? b / a : 0
		printf "%-34s %10.2f %10.2f %-5s %7.2fx\n", n, a, b, u, r }'
}

c_direct=$(run direct "$CLIENT" bench-connect @ACCEPT "$N")
c_sync=$(run cage "$CLIENT" bench-connect @ACCEPT "$N")
c_nosync=$(run cage-nosync "$CLIENT" bench-connect @ACCEPT "$N")
e_direct=$(run direct "$CLIENT" bench-exec $((N / 20)))
e_sync=$(run cage "$CLIENT" bench-exec $((N / 20)))
e_nosync=$(run cage-nosync "$CLIENT" bench-exec $((N / 20)))
u_direct=$(run direct "$CLIENT" bench-udp "$N" 1)
u_sync=$(run cage "$CLIENT" bench-udp "$N" 1)
m_direct=$(run direct "$CLIENT" bench-udp "$N" 0)
m_sync=$(run cage "$CLIENT" bench-udp "$N" 0)
t_direct=$(run direct "$CLIENT" bench-send @SINK "$MB")
t_relay=$(run cage "$CLIENT" bench-send @SINK "$MB")

printf "%-34s %10s %10s %-5s %8s\n" "measure" "uncaged" "broker" "unit" "ratio"
row "connect (SYNC_WAKE_UP)" "$c_direct" "$c_sync" "us"
row "connect (no SYNC_WAKE_UP)" "$c_direct" "$c_nosync" "us"
row "fork+execve /bin/true (SYNC)" "$e_direct" "$e_sync" "us"
row "fork+execve /bin/true (no SYNC)" "$e_direct" "$e_nosync" "us"
row "UDP sendto with address (SYNC)" "$u_direct" "$u_sync" "us"
row "UDP sendmsg, connected (SYNC)" "$m_direct" "$m_sync" "us"
row "TCP throughput, relay (splice)" "$t_direct" "$t_relay" "MiB/s"
echo "(connect: $N iterations each; throughput: $MB MiB; 2 shared cores," \
	"so run-to-run noise is large)"

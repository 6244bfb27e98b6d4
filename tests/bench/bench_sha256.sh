#!/bin/bash
# SHA-256 throughput: akios's own (shared/sha256.c: the x86 SHA
# extensions when the CPU has them, else portable C) beside OpenSSL's
# SHA256_Init/Update/Final (akios's hash before), one core, best of 5 rounds. 183 bytes is an average audit
# record of bench_audit; 64 a Merkle node's two children.
set -eu
build=${AKIOS_BUILD:-build}
make --no-print-directory -s BUILD="$build" "$build/bench/bench_sha256" >/dev/null
printf '%-10s %12s %12s %10s %10s  %s\n' "bytes" "ours MB/s" "OpenSSL MB/s" \
	"ours ns" "OpenSSL ns" "our path"
"$build/bench/bench_sha256" | while read -r n a b na nb path; do
	printf '%-10s %12s %12s %10s %10s  %s\n' "$n" "$a" "$b" "$na" "$nb" "$path"
done

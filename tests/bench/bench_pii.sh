#!/bin/bash
# PII engine bench (issue 3): precision and recall per category on a
# labeled synthetic corpus (tests/fixtures/pii_corpus.py), and throughput
# on prompt-like text with every pattern on (aggressive mode), beside a
# `cat FILE > /dev/null` baseline of the same file in the same run.
set -eu
build=${AKIOS_BUILD:-build}
make --no-print-directory -s BUILD="$build" "$build/bench/bench_pii" >/dev/null
tmp=$(mktemp -d /tmp/akios-bench-pii.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

echo "--- quality: 20000 items (70% PII with valid checksums, 30% near-miss decoys), seed 1"
python3 tests/fixtures/pii_corpus.py --out "$tmp/corpus" --items 20000 --seed 1
for mode in balanced aggressive; do
	echo "mode $mode:"
	"$build/akios" redact --mode "$mode" --report="$tmp/found.$mode" \
		<"$tmp/corpus.txt" >/dev/null
	python3 tests/fixtures/pii_score.py "$tmp/corpus.labels.jsonl" \
		"$tmp/found.$mode" | sed 's/^/  /'
done

echo
echo "--- throughput: 64 MiB prompt-like text (one PII item or decoy per ~1 KB), one core"
python3 tests/fixtures/pii_corpus.py --filler $((8 << 20)) --seed 2 --out "$tmp/part"
for _ in 1 2 3 4 5 6 7 8; do cat "$tmp/part"; done >"$tmp/big"
cat "$tmp/big" >/dev/null # warm the page cache
secs() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
size=$(stat -c %s "$tmp/big")
t=$(secs sh -c "cat '$tmp/big' > /dev/null")
printf '%-28s %10.1f MB/s\n' "cat > /dev/null (baseline)" "$(echo "$size / $t / 1000000" | bc -l)"
t=$(secs sh -c "'$build/akios' redact --mode aggressive < '$tmp/big' > /dev/null")
printf '%-28s %10.1f MB/s (incl. engine compile)\n' "akios redact (CLI)" "$(echo "$size / $t / 1000000" | bc -l)"
"$build/bench/bench_pii" "$tmp/big" aggressive

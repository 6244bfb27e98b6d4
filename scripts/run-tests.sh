#!/bin/bash
# Runs each Criterion test binary given as an argument, prints its result
# line, and closes with one "N passed, N failed" line for the whole run.
# Exits non-zero when any test failed or crashed or a binary could not run.
set -u
passed=0
failed=0
bad_bins=()
# Under ASan the unit binaries run their tests one at a time: Criterion's
# runner itself (libcriterion, not a test) now and then leaks 48 bytes at
# exit when its parallel workers finish together, which LeakSanitizer
# reports as a failure of a binary whose tests all passed.
for bin in "$@"; do
	log=$(mktemp)
	jobs=()
	[ -n "${AKIOS_SAN:-}" ] && [[ "$bin" == */unit/* ]] && jobs=(-j1)
	"$bin" "${jobs[@]}" >"$log" 2>&1
	rc=$?
	synth=$(grep -a 'Synthesis:' "$log" | tail -n 1)
	t=$(sed -n 's/.*Tested: \([0-9]*\).*/\1/p' <<<"$synth")
	p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$synth")
	t=${t:-0}
	p=${p:-0}
	if [ "$rc" -ne 0 ] || [ -z "$synth" ] || [ "$t" -eq 0 ]; then
		cat "$log"
		bad_bins+=("$bin")
		[ "$t" -eq 0 ] && t=1
	fi
	printf '%-48s %s\n' "$(basename "$bin")" "${synth:-no result (exit $rc)}"
	passed=$((passed + p))
	failed=$((failed + t - p))
	rm -f "$log"
done
echo
if [ ${#bad_bins[@]} -gt 0 ]; then
	echo "failing test binaries: ${bad_bins[*]}"
fi
echo "tests: $passed passed, $failed failed"
[ ${#bad_bins[@]} -eq 0 ] && [ "$failed" -eq 0 ]

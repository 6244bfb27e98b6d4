#!/bin/bash
# Replays each fuzz harness's committed corpus (tests/fuzz/corpus/<name>/)
# through its plain-build replayer; any crash or sanitizer report fails.
set -eu
for bin in "$@"; do
	name=$(basename "$bin")
	dir=tests/fuzz/corpus/$name
	if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir")" ]; then
		echo "fuzz corpus: $dir is missing or empty" >&2
		exit 1
	fi
	find "$dir" -type f -print0 | xargs -0 "$bin"
	echo "fuzz corpus $name: $(find "$dir" -type f | wc -l) inputs replayed"
done

#!/bin/bash
# make run: builds (done by make) and exercises the bundled examples:
# every example policy and template must pass `akios policy check`.
set -eu
build=${1:-build}
"$build/akios" --version
"$build/akios" policy check policy/examples/*.yml templates/*.yml

#!/bin/bash
# make run: builds (done by make) and exercises the bundled examples.
set -eu
build=${1:-build}
"$build/akios" --version

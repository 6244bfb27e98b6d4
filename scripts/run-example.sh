#!/bin/bash
# make run: builds (done by make) and exercises the bundled examples:
# every example policy and template must pass `akios policy check`, then
# the example agent (examples/hello-agent) runs in the cage under
# templates/hello-workflow.yml, in a scratch copy under the build dir.
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
akios="$root/$build/akios"
"$akios" --version
"$akios" policy check policy/examples/*.yml templates/*.yml

run="$root/$build/example-run"
rm -rf "$run"
mkdir -p "$run"
cp -r examples/hello-agent/. "$run/"
chmod -R a+rX "$run"
audit="$run/audit"
echo
echo "== akios run --policy templates/hello-workflow.yml -- python3 agent.py"
cd "$run"
set +e
"$akios" run --policy "$root/templates/hello-workflow.yml" \
	--audit-dir "$audit" -- python3 agent.py
rc=$?
set -e
echo
echo "agent exit code: $rc"
echo "result:          $run/workspace/result.json"
echo "audit log:       $audit (check it: $build/akios audit verify --audit-dir $audit)"
exit "$rc"

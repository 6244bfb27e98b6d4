#!/bin/sh
# Installs the Debian packages named on the command line that are missing.
# Quiet and quick when everything is present; needs root otherwise.
set -eu
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "akios: installing build and test packages:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "akios: deps: not root; install them with: sudo apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null

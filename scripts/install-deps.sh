#!/bin/sh
# Installs the Debian packages taphop needs to build and test, and only
# those that are missing.  Idempotent; prints nothing when all are present.
set -eu

pkgs="build-essential pkg-config git sqlite3 libsqlite3-dev libzmq3-dev
libprotobuf-c-dev protobuf-c-compiler libgit2-dev libsodium-dev
libjansson-dev libinih-dev libcsv-dev libcmocka-dev perl openssh-client
zlib1g-dev libssl-dev"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "install-deps: missing packages:$missing (run as root or install sudo)" >&2
		exit 1
	}
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2

#!/bin/sh
# 32-archive-crash.t - a process killed between the SQLite commit and the
# git commit (TAPHOP_FAULT) leaves the archive behind; the next write, or
# taphop audit update, catches up and the archive is complete.
set -u
T="${TAPHOP_BIN:?}/taphop"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export TAPHOP_DIR="$tmp/w" TAPHOP_OPERATOR=tester
n=0; fail=0
ok() { n=$((n+1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
G() { git --git-dir="$TAPHOP_DIR/archive.git" "$@"; }
echo "1..8"

"$T" init --ward an-lac >/dev/null 2>&1
"$T" add person --full-name 'Võ Thị Sáu' --birth-date 2001-01-01 >/dev/null
TAPHOP_FAULT=archive-before-ref "$T" add person --full-name 'Lý Tự Trọng' --birth-date 2001-01-02 >/dev/null 2>&1
[ $? -eq 137 ]; ok $? "killed after writing the commit objects, before moving the branch"
TAPHOP_FAULT=archive-start "$T" add person --full-name 'Kim Đồng' --birth-date 2001-01-03 >/dev/null 2>&1
[ $? -eq 137 ]; ok $? "killed before touching the archive"
[ "$(G rev-list --count main)" = 1 ]; ok $? "the archive is behind"
"$T" list person | grep -q 'Kim Đồng'; ok $? "the replica kept both writes"
"$T" audit verify >"$tmp/out"; [ $? -eq 1 ] && grep -q 'the live replica holds up to #3, the archive only up to #1' "$tmp/out"
ok $? "audit verify names the lag"
"$T" audit update; ok $? "audit update"
G cat-file -e main:changesets/an-lac/an-lac/3.pb && G cat-file -e main:changesets/an-lac/an-lac/2.pb
ok $? "the missing change-sets are archived"
"$T" audit verify >/dev/null; ok $? "and the archive verifies"
exit $fail

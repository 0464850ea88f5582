#!/bin/sh
# 30-audit-archive.t - every write lands in the node's signed git archive;
# stock git (gpg.format=ssh) verifies every commit with the signers file
# that taphop writes; taphop audit verify passes on the node and on a
# mirror; audit history shows a record field by field.
set -u
T="${TAPHOP_BIN:?}/taphop"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export TAPHOP_DIR="$tmp/w" TAPHOP_OPERATOR="Lê Thu Hà"
n=0; fail=0
ok() { n=$((n+1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
G() { git --git-dir="$TAPHOP_DIR/archive.git" -c gpg.format=ssh \
	-c gpg.ssh.allowedSignersFile="$tmp/signers" "$@"; }
echo "1..17"

"$T" init --ward an-lac >/dev/null 2>&1; ok $? "init"
a=$("$T" add person --full-name 'Nguyễn Văn Đức' --birth-date 2001-05-12 --reason 'first visit')
ok $? "add a person"
"$T" add person --full-name 'Trần Thị Bích' --birth-date 2002-03-04 >/dev/null
"$T" --as 'Phạm Minh' edit person "$a" --phone 0903999888 --reason 'new phone' >/dev/null
ok $? "edit"
[ "$(G rev-list --count main)" = 3 ]; ok $? "one commit per write"
rec="records/person/an-lac/$(printf %s "$a" | tail -c 2)/$a.json"
G show main:"$rec" | grep -qx '  "phone": "0903999888",'
ok $? "records file: canonical JSON, one field per line, fanned out by the id's end"
G log -p --format='%an' -- "records/person/an-lac/*/$a.json" >"$tmp/log"
grep -qx 'Phạm Minh (an-lac)' "$tmp/log" && grep -qx '+  "phone": "0903999888",' "$tmp/log" &&
	grep -qx -- '-  "phone": null,' "$tmp/log"
ok $? "git log -p on the record: who changed which field"
G log --follow --format=%s -- "$rec" | grep -c . | grep -qx 2 &&
	G blame main -- "$rec" | grep -q 'Phạm Minh.*"phone": "0903999888"'
ok $? "git log --follow and git blame on the record file"

"$T" audit signers --output "$tmp/signers"; ok $? "audit signers"
bad=0
for c in $(G rev-list main); do
	G verify-commit "$c" >/dev/null 2>&1 || bad=1
done
ok $bad "stock git verify-commit accepts every commit"
G log --show-signature main 2>&1 | grep -c '^Good "git" signature for an-lac with ED25519' | grep -qx 3
ok $? "git log --show-signature: three good signatures"

# a big import: one pack written by the archive itself, which stock git reads
(echo "full_name,birth_date"; i=0; while [ $i -lt 1500 ]; do
	echo "Người Thứ $i,2001-01-0$((i % 9 + 1))"; i=$((i + 1)); done) >"$tmp/p.csv"
"$T" import person "$tmp/p.csv" >/dev/null; ok $? "import 1500 people"
G fsck --strict --no-dangling >"$tmp/fsck" 2>&1 && G verify-pack "$TAPHOP_DIR"/archive.git/objects/pack/*.idx
ok $? "git fsck and git verify-pack accept the archive's pack"
[ -z "$(G config --get pack.windowMemory)" ]; ok $? "no packing knobs in the archive's config"
"$T" audit verify >"$tmp/out"; ok $? "audit verify on the node"
git clone -q --mirror "$TAPHOP_DIR/archive.git" "$tmp/mirror.git"
"$T" audit verify --repo "$tmp/mirror.git" --signers "$tmp/signers" >"$tmp/out"
ok $? "audit verify on a mirror with the signers file"
"$T" audit history "$a" >"$tmp/hist"
grep -q 'Phạm Minh.*phone.*0903999888.*new phone' "$tmp/hist"
ok $? "audit history shows who changed which field, and why"
"$T" --json audit history "$a" | grep -q '"field": "full_name"'
ok $? "audit history --json"
exit $fail

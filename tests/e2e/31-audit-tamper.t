#!/bin/sh
# 31-audit-tamper.t - each kind of tampering is detected and named by
# taphop audit verify (exit 1): a row edited with sqlite3, a change-set
# removed by rewriting history, a change-set replayed, a commit signed with
# a key that is not enrolled, history rewritten and force-updated, a
# records file edited in a signed commit by a listed key that is not the
# archiving node.
set -u
T="${TAPHOP_BIN:?}/taphop"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export TAPHOP_OPERATOR="Lê Thu Hà"
n=0; fail=0
ok() { n=$((n+1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
echo "1..14"

# a clean node, copied afresh for each case
base="$tmp/base"
"$T" --dir "$base" init --ward an-lac >/dev/null 2>&1
id=$("$T" --dir "$base" add person --full-name 'Nguyễn Văn Đức' --birth-date 2001-05-12)
"$T" --dir "$base" add person --full-name 'Trần Thị Bích' --birth-date 2002-03-04 >/dev/null
"$T" --dir "$base" edit person "$id" --phone 0903999888 >/dev/null
"$T" --dir "$base" audit signers -o "$tmp/signers"
ssh-keygen -q -t ed25519 -N '' -C intruder -f "$tmp/intruder" >/dev/null

fresh() { rm -rf "$tmp/w"; cp -r "$base" "$tmp/w"; export TAPHOP_DIR="$tmp/w"; }
G() { git --git-dir="$TAPHOP_DIR/archive.git" "$@"; }
# a tree of main with a path removed or replaced, via a throw-away index
tree_edit() { # tree_edit COMMIT [rm PATH | put PATH BLOB]
	mkdir -p "$tmp/wt"
	export GIT_INDEX_FILE="$tmp/idx" GIT_WORK_TREE="$tmp/wt"
	G read-tree "$1" &&
	if [ "$2" = rm ]; then G update-index --force-remove "$3"
	else G update-index --add --cacheinfo "100644,$4,$3"; fi &&
	G write-tree
	unset GIT_INDEX_FILE GIT_WORK_TREE; rm -f "$tmp/idx"; }
verify_fails() { # verify_fails PATTERN [args]: exit 1 and the finding named
	pat=$1; shift
	"$T" audit verify "$@" >"$tmp/out" 2>&1; rc=$?
	[ $rc -eq 1 ] && grep -q -- "$pat" "$tmp/out" || { cat "$tmp/out" >&2; return 1; }
}
export GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x GIT_COMMITTER_NAME=an-lac GIT_COMMITTER_EMAIL=an-lac@taphop.invalid

fresh
"$T" audit verify >/dev/null; ok $? "the untouched copy verifies"

# 1. a row edited directly with sqlite3
fresh
sqlite3 "$TAPHOP_DIR/replica.db" "UPDATE person SET full_name = 'Kẻ Gian' WHERE id = '$id'"
verify_fails "person/an-lac/../$id.json: field 'full_name' is \"Kẻ Gian\" in the live database"
ok $? "a row edited with sqlite3 is named, record and field"

# 2. a change-set removed by rewriting history (#2 dropped, #3 re-committed)
fresh
"$T" audit verify >/dev/null
t=$(tree_edit main rm changesets/an-lac/an-lac/2.pb)
c=$(G commit-tree "$t" -p main~2 -m rewritten) && G update-ref refs/heads/main "$c"
verify_fails "stream an-lac/an-lac: #2 missing before commit"
ok $? "a removed change-set is named: stream and seq"
grep -q "history rewritten: the last verified head" "$tmp/out"
ok $? "... and the rewrite since the last verified head"
grep -q "commit $(echo "$c" | cut -c1-12): not signed" "$tmp/out"
ok $? "... and the unsigned commit"

# 3. a change-set replayed: #1's bytes archived again as #4
fresh
b=$(G rev-parse main:changesets/an-lac/an-lac/1.pb)
t=$(tree_edit main put changesets/an-lac/an-lac/4.pb "$b")
c=$(G commit-tree "$t" -p main -m replay) && G update-ref refs/heads/main "$c"
verify_fails "stream an-lac/an-lac #1 (commit $(echo "$c" | cut -c1-12)): already archived"
ok $? "a replayed change-set is named"

# 4. a commit signed with a key that is not enrolled
fresh
c=$(G -c gpg.format=ssh -c user.signingkey="$tmp/intruder" commit-tree -S main^{tree} -p main -m forged)
G update-ref refs/heads/main "$c"
! G -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$tmp/signers" verify-commit "$c" >/dev/null 2>&1
ok $? "stock git refuses the forged commit"
verify_fails "commit $(echo "$c" | cut -c1-12): signed by a key that is not in the signers file"
ok $? "taphop names the forged commit"

# 5. history rewritten and force-updated (the last commit dropped)
fresh
"$T" audit verify >/dev/null
G update-ref refs/heads/main main~1
verify_fails "history rewritten: the last verified head"
ok $? "a force-updated branch is named"
grep -q "stream an-lac/an-lac: the live replica holds up to #3, the archive only up to #2" "$tmp/out"
ok $? "... and the change-set it lost"

# 6. a records file edited in a new commit signed by a listed key that is
#    not the archiving node (the intruder's key, listed for the hub)
fresh
cp "$tmp/signers" "$tmp/signers2"
echo "binh-tan namespaces=\"git\" $(cut -d' ' -f1,2 "$tmp/intruder.pub")" >>"$tmp/signers2"
p="records/person/an-lac/$(printf %s "$id" | tail -c 2)/$id.json"
b=$(G show "main:$p" | sed 's/"full_name": ".*"/"full_name": "Someone Else"/' | G hash-object -w --stdin)
t=$(tree_edit main put "$p" "$b")
c=$(G -c gpg.format=ssh -c user.signingkey="$tmp/intruder" commit-tree -S "$t" -p main -m fix)
G update-ref refs/heads/main "$c"
G -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$tmp/signers2" verify-commit "$c" >/dev/null 2>&1
ok $? "stock git calls it a good signature (the key is listed)"
s=$(echo "$c" | cut -c1-12)
verify_fails "commit $s: signed by 'binh-tan' (a listed key), not by the archiving node 'an-lac'" --signers "$tmp/signers2"
ok $? "taphop checks the principal: not the archiving node"
grep -q "commit $s: $p changed, but no change-set of that commit touches the record" "$tmp/out"
ok $? "... and the record changed without a change-set"
grep -q "$p: field 'full_name' is \"Someone Else\" in the archive" "$tmp/out"
ok $? "... and the field that differs from the replay"
exit $fail

#!/bin/bash
# 10-cli.t - the taphop command line end to end: help and usage errors,
# init, add/edit/delete/show/list/find, log, digest, conflicts, nodes and
# bundles (a hub and a ward exchanging change-sets by file, with a
# concurrent edit of one district-wide partner recorded as a conflict).
# Every check looks at the exit code and at what is (not) stored.
set -u
T="${TAPHOP_BIN:?set TAPHOP_BIN to the directory holding taphop}/taphop"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/taphop-10-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export TAPHOP_DIR="$TMP/ward" TAPHOP_OPERATOR=tester
unset TAPHOP_OPERATOR_FALLBACK
n=0
fails=0

ok() { # ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; fails=$((fails + 1))
		sed 's/^/#   out: /' "$TMP/out"; sed 's/^/#   err: /' "$TMP/err"
	fi
}
run() { "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
# expect RC DESCRIPTION [TEXT-IN-STDOUT-OR-STDERR...]
expect() {
	local want=$1 desc=$2 s=0; shift 2
	[ "$rc" -eq "$want" ] || { s=1; echo "# exit $rc, wanted $want"; }
	for t in "$@"; do
		grep -qF -- "$t" "$TMP/out" "$TMP/err" || { s=1; echo "# missing: $t"; }
	done
	ok $s "$desc"
}
json_ok() { perl -MJSON::PP -e 'local $/; decode_json(<STDIN>)' <"$TMP/out" 2>/dev/null; }
# json_len: number of elements of the JSON array on stdout
json_len() { perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}' <"$TMP/out"; }
json_get() { perl -CO -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); print $j->{$ARGV[0]} // ""' "$1" <"$TMP/out"; }

echo "1..66"

# ---- help and usage ------------------------------------------------------
run "$T" --help
expect 0 "taphop --help lists the commands" "init" "import" "conflicts" "digest"
run "$T" add person --help
expect 0 "add person --help shows columns as options" "--full-name TEXT" "Họ và tên / Full name (required)" "male, female, other"
run "$T" list person --help
expect 0 "list person --help shows filters" "exact-match filters" "--birth-date DATE"
run "$T" add person --full-nam X
expect 2 "an unknown option is a usage error naming it, with a suggestion" "unknown option '--full-nam'" "did you mean '--full-name'"
run "$T" lisst person
expect 2 "an unknown command is a usage error" "unknown command 'lisst'" "did you mean 'list'"
run "$T" add persn --full-name X
expect 2 "an unknown table is a usage error" "unknown table 'persn'" "did you mean 'person'"
run "$T" list person --limit many
expect 2 "an integer option checks its value" "'many' is not a whole number"

# ---- init ---------------------------------------------------------------
run "$T" list person
expect 1 "without a replica, commands say how to make one" "run 'taphop init --ward CODE'"
run "$T" init
expect 2 "init needs --ward or --hub" "--ward CODE or --hub"
run "$T" init --ward "An Lac"
expect 2 "init refuses a malformed ward code" "'An Lac'"
run "$T" init --ward an-lac
expect 0 "init --ward an-lac creates the replica and prints the enroll command" "taphop enroll an-lac " "signing key:"
run "$T" init --ward an-lac
expect 1 "init refuses to overwrite a replica"
run "$T" --json --dir "$TMP/hub" init --hub
json_ok; ok $? "init --hub --json prints JSON"
[ "$(json_get role)" = hub ]; ok $? "the hub's role is hub"

# ---- add, show, list, find ----------------------------------------------
run "$T" add person --full-name "Nguyễn Văn Đức" --birth-date 2001-05-12 --gender male \
	--citizen-id 079201001234 --phone 0903123456 --reason "đăng ký mới"
expect 0 "add person prints the new id"
ID=$(cat "$TMP/out")
[ ${#ID} -eq 36 ]; ok $? "the id is a 36-character UUID"
run "$T" add person --full-name "Trần Thị Bích" --birth-date 31/02/2001
expect 1 "a bad date is refused, naming field, value and rule" "field 'birth_date'" "'31/02/2001'" "not a real date"
run "$T" add person --full-name "Trần Thị Bích" --birth-date 2001-02-03 --gender nu
expect 1 "a bad enum value lists the accepted ones" "field 'gender'" "'nu'" "male, female, other"
run "$T" add person --full-name "Trần Thị Bích" --birth-date 2001-02-03 --citizen-id 12345
expect 1 "a bad citizen id is refused" "field 'citizen_id'" "'12345'" "12 digits"
run "$T" add person --full-name "Lê Văn Tám" --birth-date 2000-01-01 --citizen-id 079201001234
expect 1 "a duplicate citizen id is refused, showing the existing record" "already registered" "Nguyễn Văn Đức" "2001-05-12" "$ID" "--force"
run "$T" --json list person
[ "$(json_len)" = 1 ]; ok $? "refused adds stored nothing"
run "$T" add person --full-name "Lê Văn Tám" --birth-date 2000-01-01 --citizen-id 079201001234 --force --gender female
expect 0 "--force adds the duplicate anyway"
ID2=$(cat "$TMP/out")
run "$T" add unit --name "Chi đoàn khu phố 1"
expect 1 "a missing required column is named" "kind"
run "$T" show person "$ID"
expect 0 "show prints Vietnamese and English labels" "Họ và tên / Full name" "Nguyễn Văn Đức" "Số CCCD / Citizen id"
run "$T" --json show person "${ID:0:13}"
json_ok; ok $? "show --json with an id prefix prints JSON"
[ "$(json_get full_name)" = "Nguyễn Văn Đức" ]; ok $? "show --json has the full name"
run "$T" list person --gender male
expect 0 "list filters by column" "Nguyễn Văn Đức"
! grep -q "Lê Văn Tám" "$TMP/out"; ok $? "the filter leaves out the other person"
run "$T" list person --json
json_ok; ok $? "list --json (after the table) prints JSON"
[ "$(json_len)" = 2 ]; ok $? "list --json has both people"
run "$T" find nguyen van duc
expect 0 "find without diacritics finds Nguyễn Văn Đức" "Nguyễn Văn Đức"
run "$T" --json find "LE VAN"
json_ok && [ "$(json_len)" = 1 ]; ok $? "find --json prints one match"
run "$T" find zzzz
expect 0 "find with no match succeeds" "0 found"

# ---- edit, delete --------------------------------------------------------
run "$T" edit person "$ID" --phone "+84 903 999 888" --reason "đổi số"
expect 0 "edit changes a column"
run "$T" --json show person "$ID"
[ "$(json_get phone)" = 0903999888 ]; ok $? "the phone was stored normalised"
run "$T" edit person "$ID" --phone 123
expect 1 "edit validates" "field 'phone'" "'123'"
run "$T" edit person 00000000-0000-7000-8000-000000000000 --phone 0903999888
expect 1 "edit of an unknown id fails"
run "$T" edit person "$ID"
expect 2 "edit with nothing to change is a usage error"
run "$T" delete person "$ID2" --reason "trùng"
expect 0 "delete tombstones a record" "deleted person"
run "$T" show person "$ID2"
expect 1 "a deleted record is not shown"
run "$T" show person "$ID2" --deleted
expect 0 "show --deleted shows it" "[deleted]"

# ---- log, digest, conflicts ----------------------------------------------
run "$T" log
expect 0 "log lists change-sets with operator and reason" "tester" "đổi số" "an-lac"
run "$T" --json log --limit 2
json_ok && [ "$(json_len)" = 2 ]; ok $? "log --json --limit 2 prints two"
run "$T" digest
grep -qE '^[0-9a-f]{64}$' "$TMP/out"; ok $? "digest prints 64 hex digits"
run "$T" conflicts list --json
json_ok && [ "$(json_len)" = 0 ]; ok $? "no conflicts yet"
run "$T" conflicts resolve 1
expect 2 "resolve needs a choice" "--keep-current"

# ---- nodes and bundles: a hub and a ward, a concurrent edit --------------
H=(--dir "$TMP/hub")
run "$T" nodes self; WARD_KEYS=$(cat "$TMP/out")
run "$T" "${H[@]}" nodes self; HUB_KEYS=$(cat "$TMP/out")
run "$T" "${H[@]}" nodes add $WARD_KEYS
expect 0 "the hub registers the ward" "registered ward 'an-lac'"
run "$T" nodes add $HUB_KEYS
expect 0 "the ward registers the hub" "registered hub 'binh-tan'"
K="-$(printf 'A%.0s' $(seq 42))"
run "$T" nodes add tan-tao "$K" "$K"
expect 0 "a key starting with '-' is an argument, not an option" "registered ward 'tan-tao'"
run "$T" "${H[@]}" add partner --ward binh-tan --name "Ngân hàng Chính sách xã hội" --kind bank
expect 0 "the hub adds a district-wide partner"
PID=$(cat "$TMP/out")
run "$T" "${H[@]}" bundle export "$TMP/h1.tpb" --for an-lac
expect 0 "the hub exports a bundle for the ward" "wrote 1 change-set"
run "$T" bundle import "$TMP/h1.tpb"
expect 0 "the ward imports it" "1 applied"
run "$T" bundle import "$TMP/h1.tpb"
expect 0 "importing it twice changes nothing" "0 applied" "1 already held"
run "$T" edit partner "$PID" --phone 0903000001
expect 0 "the ward edits the partner's phone"
run "$T" "${H[@]}" edit partner "$PID" --phone 02838000002
expect 0 "the hub edits the same phone before seeing the ward's edit"
run "$T" bundle export "$TMP/w1.tpb" --for binh-tan
expect 0 "the ward exports its change-sets"
run "$T" "${H[@]}" bundle import "$TMP/w1.tpb"
expect 0 "the hub applies the ward's change-sets"
run "$T" "${H[@]}" bundle export "$TMP/h2.tpb" --for an-lac
run "$T" bundle import "$TMP/h2.tpb"
expect 0 "the ward applies the hub's edit"
run "$T" "${H[@]}" --json list person
[ "$(json_len)" = 1 ]; ok $? "the ward's live people reached the hub"
a=$("$T" digest --scope binh-tan); b=$("$T" "${H[@]}" digest --scope binh-tan)
[ -n "$a" ] && [ "$a" = "$b" ]; ok $? "both hold the same district-wide records"
c1=$("$T" --json conflicts list | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}')
c2=$("$T" "${H[@]}" --json conflicts list | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}')
[ $((c1 + c2)) -ge 1 ]; ok $? "the concurrent edit is a recorded conflict (ward $c1, hub $c2)"
if [ "$c1" -ge 1 ]; then D=(); else D=("${H[@]}"); fi
run "$T" "${D[@]}" conflicts list
expect 0 "conflicts list shows the phone column" "partner" "phone"
CID=$("$T" "${D[@]}" --json conflicts list | perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->[0]{id}')
run "$T" "${D[@]}" conflicts show "$CID"
expect 0 "conflicts show names both values" "0903000001" "02838000002"
run "$T" "${D[@]}" conflicts resolve "$CID" --take-other --reason "số đúng"
expect 0 "conflicts resolve writes the other value back" "resolved conflict $CID"
run "$T" "${D[@]}" --json conflicts list
[ "$(json_len)" = 0 ]; ok $? "no open conflict is left there"
printf 'not a bundle' >"$TMP/bad.tpb"
run "$T" bundle import "$TMP/bad.tpb"
expect 1 "a file that is not a bundle is refused" "not a taphop bundle"

[ "$fails" -eq 0 ]

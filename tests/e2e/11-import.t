#!/bin/bash
# 11-import.t - taphop import and export end to end: BOM and Vietnamese
# headers, CRLF, quoted values, every bad row reported (line, field, value,
# rule) with nothing stored, unknown headers, duplicate citizen ids,
# --dry-run, a progress line on a large file, export with a BOM and an
# export → edit → import round trip that updates by id.
set -u
T="${TAPHOP_BIN:?set TAPHOP_BIN to the directory holding taphop}/taphop"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/taphop-11-import.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export TAPHOP_DIR="$TMP/ward" TAPHOP_OPERATOR=tester
n=0
fails=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; fails=$((fails + 1))
		sed 's/^/#   out: /' "$TMP/out" | head -20; sed 's/^/#   err: /' "$TMP/err" | head -20
	fi
}
run() { "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
expect() {
	local want=$1 desc=$2 s=0; shift 2
	[ "$rc" -eq "$want" ] || { s=1; echo "# exit $rc, wanted $want"; }
	for t in "$@"; do
		grep -qF -- "$t" "$TMP/out" "$TMP/err" || { s=1; echo "# missing: $t"; }
	done
	ok $s "$desc"
}
count() { "$T" --json list "$1" | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}'; }

echo "1..26"

"$T" init --ward an-lac >/dev/null || { echo "Bail out! init failed"; exit 1; }

# ---- a good file: BOM, Vietnamese labels, CRLF, quoted values -------------
printf '\357\273\277Họ và tên,Ngày sinh,Giới tính,Số CCCD,Số điện thoại,Ghi chú\r\n' >"$TMP/good.csv"
printf 'Nguyễn Văn Đức,12/05/2001,male,079201001234,0903123456,"khu trọ A, phòng 3\r\ngần chợ"\r\n' >>"$TMP/good.csv"
printf 'Trần Thị Bích Ngọc,2000-01-31,female,,,\r\n' >>"$TMP/good.csv"
printf '\r\n' >>"$TMP/good.csv"
printf 'Lê Hoàng Phương Uyên,2003-07-15,female,079303009876,+84 912 345 678,\r\n' >>"$TMP/good.csv"
run "$T" import person "$TMP/good.csv"
expect 0 "a file with a BOM, Vietnamese headers and CRLF imports" "3 rows, 3 added"
[ "$(count person)" = 3 ]; ok $? "three people are stored"
run "$T" find phuong uyen
expect 0 "imported names are searchable without diacritics" "Lê Hoàng Phương Uyên"

# ---- bad rows: every one reported, nothing stored --------------------------
cat >"$TMP/bad.csv" <<'CSV'
full_name,birth_date,gender,citizen_id,phone
Đỗ Minh An,2001-01-01,male,079201000001,0903000001
Đỗ Minh Bình,31/02/2001,male,,
"Đỗ Minh Cường
(anh)",2001-01-03,nam,,
,2001-01-04,,,
Đỗ Minh Dũng,2001-01-05,male,12345,
Đỗ Minh Em,2001-01-06,male,,123
Đỗ Minh Giang,2001-01-07,male,079201000001,
CSV
run "$T" import person "$TMP/bad.csv"
expect 1 "a file with bad rows fails" "nothing imported from"
grep -qF "taphop: cannot import '$TMP/bad.csv': line 3, field 'birth_date': '31/02/2001' is not a real date" "$TMP/err"; ok $? "line 3: the date is named with value and rule"
grep -qF "line 4, field 'gender': 'nam' is not one of" "$TMP/err"; ok $? "line 4 (a quoted two-line name): the enum value is named"
grep -qF "line 6, field 'full_name': a value is required" "$TMP/err"; ok $? "line 6: the missing name is named"
grep -qF "line 7, field 'citizen_id': '12345'" "$TMP/err"; ok $? "line 7: the bad citizen id is named"
grep -qF "line 8, field 'phone': '123'" "$TMP/err"; ok $? "line 8: the bad phone is named"
grep -qF "line 9, field 'citizen_id': '079201000001' is also on line 2" "$TMP/err"; ok $? "line 9: the duplicate citizen id in the file is named"
[ "$(grep -c "^taphop: cannot import" "$TMP/err")" = 6 ]; ok $? "exactly six errors are reported"
[ "$(count person)" = 3 ]; ok $? "nothing of the bad file was stored"

# ---- headers, duplicates, dry run, missing file ----------------------------
printf 'full_name,birth_date,mau_yeu_thich\nA,2001-01-01,do\n' >"$TMP/hdr.csv"
run "$T" import person "$TMP/hdr.csv"
expect 1 "an unknown header is named with the accepted ones" "unknown column 'mau_yeu_thich'" "full_name (Họ và tên)"
printf 'full_name,birth_date,citizen_id\nPhạm Văn Tư,2001-01-01,079201001234\n' >"$TMP/dup.csv"
run "$T" import person "$TMP/dup.csv"
expect 1 "a citizen id already in the replica is refused" "already registered to Nguyễn Văn Đức"
run "$T" import person "$TMP/dup.csv" --force
expect 0 "--force imports it anyway" "1 added"
printf 'Họ và tên;Ngày sinh\nVõ Thị Lan;2002-02-02\n' >"$TMP/semi.csv"
run "$T" import person "$TMP/semi.csv" --dry-run
expect 0 "--dry-run checks a ';' file" "dry run, nothing stored" "1 added"
[ "$(count person)" = 4 ]; ok $? "--dry-run stored nothing"
run "$T" import person "$TMP/nowhere.csv"
expect 1 "a missing file is named" "cannot open '$TMP/nowhere.csv'"
run "$T" import person
expect 2 "import without a file is a usage error"

# ---- export, edit, import back ---------------------------------------------
run "$T" export person --output "$TMP/out.csv"
expect 0 "export writes a file" "exported 4 person records"
head -c 9 "$TMP/out.csv" | od -An -c | tr -d ' \n' | grep -qF '357273277"id"'; ok $? "the export starts with a UTF-8 BOM and the id column"
grep -qF '"khu trọ A, phòng 3' "$TMP/out.csv"; ok $? "quoted values survive the export"
run "$T" import person "$TMP/out.csv"
expect 0 "importing the export back changes nothing" "4 unchanged"
sed 's/Trần Thị Bích Ngọc/Trần Thị Bích Ngân/' "$TMP/out.csv" >"$TMP/edited.csv"
run "$T" import person "$TMP/edited.csv"
expect 0 "an edited export updates by id" "0 added, 1 updated, 3 unchanged"
run "$T" export person --labels
expect 0 "export --labels uses Vietnamese headers" '"id","Phường","Họ và tên"' "Trần Thị Bích Ngân"

# ---- a large file: progress ------------------------------------------------
perl -e 'print "full_name,birth_date\n"; printf("Người %d,2000-01-%02d\n", $_, 1 + $_ % 28) for 1..12000' >"$TMP/big.csv"
run "$T" import person "$TMP/big.csv" --progress
expect 0 "a 12,000-row file imports, with --progress" "12000 rows, 12000 added" "10000 rows read"

[ "$fails" -eq 0 ]

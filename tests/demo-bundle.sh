#!/bin/sh
# demo-bundle.sh - sneakernet: a district hub (binh-tan) and one ward office
# (an-lac) in a temporary directory, with generated but realistic data:
# ~200 young people with Vietnamese names, members, branches and clubs,
# activities, partners, support cases and a yearly target.  It shows list,
# find and log, then carries change-sets both ways by bundle file (the
# sneakernet bundles (see the README), for offices with no link at all; `make demo`,
# tests/demo.sh, shows the same records syncing through taphopd), with
# one district-wide partner edited on both sides before they meet: the
# merge keeps one value everywhere and records the other as a conflict.
#
#   sh tests/demo-bundle.sh BIN_DIR
#
# Runs in seconds, starts no process that outlives it, removes its files.
set -eu

BIN=${1:?usage: sh tests/demo-bundle.sh BIN_DIR}
T="$BIN/taphop"
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/taphop-demo-bundle.XXXXXX")
trap 'rm -rf "$DEMO"' EXIT INT TERM
HUB="$DEMO/hub"
WARD="$DEMO/an-lac"
export TAPHOP_OPERATOR="demo"

if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
hub() { "$T" --dir "$HUB" --as "Quận Đoàn (Hải)" "$@"; }
ward() { "$T" --dir "$WARD" --as "Đoàn phường An Lạc (Thảo)" "$@"; }

say "init: the district hub and the An Lạc ward office"
hub init --hub
ward init --ward an-lac
# enrollment by hand: keys only, no network address is needed for bundles
hub nodes add $(ward nodes self)
ward nodes add $(hub nodes self)

say "the district adds its partners, a district-wide activity and a target"
BANK=$(hub add partner --ward binh-tan --kind bank --name "Ngân hàng Chính sách xã hội quận Bình Tân" --contact "Chị Nguyễn Thị Hồng" --phone 02837620000)
JOBS=$(hub add partner --ward binh-tan --kind employment_centre --name "Trung tâm Dịch vụ việc làm Thanh niên")
hub add partner --ward binh-tan --kind vocational_school --name "Trường Trung cấp Nghề Bình Tân" >/dev/null
hub add partner --ward binh-tan --kind trade_union --name "Liên đoàn Lao động quận Bình Tân" >/dev/null
hub add partner --ward binh-tan --kind fatherland_front --name "Ủy ban MTTQ Việt Nam quận Bình Tân" >/dev/null
hub add activity --ward binh-tan --line 1 --kind volunteer --title "Ngày hội việc làm thanh niên công nhân 2024" \
	--start-date 2024-05-19 --place "Nhà văn hóa Thanh niên quận" --partners "Trung tâm Dịch vụ việc làm" >/dev/null
hub add target --ward an-lac --year 2024 --metric new_union_members --value 40 --reason "Kế hoạch 124-KH/ĐTN" >/dev/null
hub add target --ward an-lac --year 2024 --metric party_referrals --value 5 >/dev/null
hub bundle export "$DEMO/hub-1.tpb" --for an-lac
ward bundle import "$DEMO/hub-1.tpb"

say "the ward registers units and imports its spreadsheet of young people"
KP1=$(ward add unit --kind branch_neighbourhood --name "Chi đoàn Khu phố 1")
KP2=$(ward add unit --kind branch_neighbourhood --name "Chi đoàn Khu phố 2")
ENT=$(ward add unit --kind branch_enterprise --name "Chi đoàn Công ty TNHH Giày Tân Tạo")
CLB=$(ward add unit --kind club --name "CLB Tiếng Anh thanh niên An Lạc")
awk -v seed=124 '
BEGIN {
	srand(seed)
	nf = split("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý", fam, " ")
	nm = split("Văn Minh Hoàng Quốc Hữu Đức Gia Thanh", mm, " ")
	nw = split("Thị Ngọc Thu Thanh Bảo Mỹ Kim Phương", mw, " ")
	ng = split("An Bình Cường Dũng Hải Hùng Khánh Long Minh Nam Phúc Quân Quang Sơn Tâm Trí Tú Tuấn Đức Khoa", gm, " ")
	nh = split("Hà Hạnh Hương Lan Linh Mai Ngân Ngọc Phương Thảo Trang Uyên Vy Yến Nhi Hiền", gw, " ")
	ns = split("Tên Lửa|Kinh Dương Vương|An Dương Vương|Hồ Học Lãm|Bà Hom|Đường số 7", st, "|")
	split("worker worker worker student student employed self_employed unemployed", occ, " ")
	split("permanent temporary boarding_house boarding_house", res, " ")
	print "Họ và tên,Ngày sinh,Giới tính,Số CCCD,Số điện thoại,Địa chỉ,Nghề nghiệp,Cư trú,Ngày đồng ý"
	print "Nguyễn Văn Đức,12/05/2001,male,079201001234,0903123456,\"số 12 đường Tên Lửa, khu phố 1\",worker,boarding_house,2024-03-01"
	for (i = 1; i < 200; i++) {
		male = rand() < 0.5
		y = 1994 + int(rand() * 15)
		name = fam[1 + int(rand() * nf)] " " (male ? mm[1 + int(rand() * nm)] : mw[1 + int(rand() * nw)]) " " \
		       (male ? gm[1 + int(rand() * ng)] : gh_or(gw, nh))
		cccd = sprintf("079%d%02d%06d", (y >= 2000 ? 2 : 0) + (male ? 0 : 1), y % 100, 1000 + i)
		phone = sprintf("09%d%07d", 0 + int(rand() * 9), int(rand() * 10000000))
		addr = sprintf("\"số %d %s, khu phố %d\"", 1 + int(rand() * 300), st[1 + int(rand() * ns)], 1 + int(rand() * 6))
		printf "%s,%04d-%02d-%02d,%s,%s,%s,%s,%s,%s,2024-03-%02d\n", name, y, 1 + int(rand() * 12), 1 + int(rand() * 28),
		       male ? "male" : "female", cccd, phone, addr, occ[1 + int(rand() * 8)], res[1 + int(rand() * 4)], 1 + int(rand() * 28)
	}
}
function gh_or(a, n) { return a[1 + int(rand() * n)] }' >"$DEMO/thanh-nien.csv"
ward import person "$DEMO/thanh-nien.csv" --reason "nhập danh sách thanh niên từ Excel"

# members: about 120 of them, in the units above; a few support cases
ward export person --output "$DEMO/people.csv" 2>/dev/null
awk -F'","' -v kp1="$KP1" -v kp2="$KP2" -v ent="$ENT" -v clb="$CLB" '
BEGIN { srand(7); print "person,kind,unit,role,joined_date,card_number,status" }
NR > 1 && rand() < 0.6 {
	id = substr($1, 2); k++
	unit = rand() < 0.35 ? kp1 : rand() < 0.5 ? kp2 : rand() < 0.6 ? ent : clb
	role = k % 25 == 1 ? "secretary" : k % 9 == 0 ? "core_cadre" : k % 13 == 0 ? "collaborator" : "member"
	printf "%s,%s,%s,%s,20%02d-%02d-26,DV%06d,active\n", id, rand() < 0.8 ? "union" : "federation", unit, role,
	       15 + int(rand() * 9), 1 + int(rand() * 12), 79000 + k
}' "$DEMO/people.csv" >"$DEMO/doan-vien.csv"
ward import membership "$DEMO/doan-vien.csv" --reason "sổ đoàn viên"
awk -F'","' -v bank="$BANK" -v jobs="$JOBS" '
BEGIN { srand(11); print "person,kind,partner,amount,status,proposed_date" }
NR > 1 && rand() < 0.08 {
	loan = rand() < 0.6
	printf "%s,%s,%s,%s,%s,2024-%02d-10\n", substr($1, 2), loan ? "loan" : "job_referral", loan ? bank : jobs,
	       loan ? 10000000 * (1 + int(rand() * 5)) : "", rand() < 0.5 ? "approved" : "proposed", 4 + int(rand() * 5)
}' "$DEMO/people.csv" >"$DEMO/ho-tro.csv"
ward import support_case "$DEMO/ho-tro.csv"
ward add activity --line 7 --kind market_playground --title "Phiên chợ 0 đồng cho công nhân khu trọ" \
	--start-date 2024-06-09 --place "Khu phố 3" --unit "$ENT" >/dev/null
ward add activity --line 4 --kind exchange --title "Ngày hội văn hóa ASEAN" --start-date 2024-08-08 --unit "$CLB" >/dev/null

say "validation speaks the officer's language"
ward add person --full-name "Trần Thị Bích" --birth-date 31/02/2001 || true
ward add person --full-name "Lê Văn Tám" --birth-date 2000-01-01 --citizen-id 079201001234 || true

say "taphop list person --occupation worker --limit 8"
ward list person --occupation worker --limit 8
say "taphop find nguyen van duc"
ward find nguyen van duc
say "taphop list membership --role secretary"
ward list membership --role secretary
say "taphop log --limit 6"
ward log --limit 6

say "both sides edit the bank's contact before they meet"
ward edit partner "$BANK" --contact "Anh Trần Minh Quân" --reason "cán bộ tín dụng mới"
hub edit partner "$BANK" --contact "Chị Võ Thị Thu" --reason "theo công văn của NHCSXH"

say "sneakernet: bundles carried both ways"
ward bundle export "$DEMO/an-lac-1.tpb" --for binh-tan
hub bundle import "$DEMO/an-lac-1.tpb"
hub bundle export "$DEMO/hub-2.tpb" --for an-lac
ward bundle import "$DEMO/hub-2.tpb"

say "the merge: one value everywhere, the other kept for review"
echo "ward: $(ward show partner "$BANK" | grep 'Người liên hệ')"
echo "hub:  $(hub show partner "$BANK" | grep 'Người liên hệ')"
echo "--- conflicts on the ward"
ward conflicts list
echo "--- conflicts on the hub"
hub conflicts list

say "digests of the district-wide records agree; the hub holds the ward's people"
echo "ward: $(ward digest --scope binh-tan)"
echo "hub:  $(hub digest --scope binh-tan)"
echo "ward's scope on the ward: $(ward digest --scope an-lac)"
echo "ward's scope on the hub:  $(hub digest --scope an-lac)"
printf 'people on the hub: '
hub --json list person | grep -c '"full_name"'
say "done; removing $DEMO"

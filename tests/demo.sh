#!/bin/sh
# demo.sh - `make demo`: the district hub of Bình Tân (binh-tan) and three
# ward offices (an-lac, tan-tao, binh-tri-dong), each a taphopd on
# 127.0.0.1, in a temporary directory, with generated but realistic data:
# ~150 young people per ward (Vietnamese names, CCCD numbers, the ward's
# streets), members, branches and clubs, activities, support cases, and the
# district's partners, activity and yearly targets.
#
# The story: enrollment both ways; everyone enters data; the ward daemons
# start while the hub is down, then the hub starts and all converge; the hub
# goes down again, the wards keep working and the district and An Lạc both
# change the bank's contact; the hub comes back, all converge (polled, never
# slept), and the demo shows status, digests, the recorded conflict, who
# holds whose people, search, the log and the audit archive.
#
#   sh tests/demo.sh BIN_DIR
#
# Takes a few seconds.  Every wait is a bounded poll that fails with a
# message; on exit (or ^C) the daemons get SIGTERM and the directory goes.
# tests/demo-bundle.sh shows the same records carried by USB stick.
set -eu

BIN=${1:?usage: sh tests/demo.sh BIN_DIR}
BIN=$(cd "$BIN" && pwd)
TP="$BIN/taphop"
TPD="$BIN/taphopd"
[ -x "$TP" ] && [ -x "$TPD" ] || { echo "demo: no taphop and taphopd in '$BIN'" >&2; exit 1; }
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/taphop-demo.XXXXXX")
HUB=binh-tan
WARDS="an-lac tan-tao binh-tri-dong"
HB=500          # heartbeat (ms): a lost hub is noticed in 1.5 s, not 15 s
RUNNING=""      # "node:pid" of every daemon started and not yet stopped
START=$(date +%s)
YEAR=$(date +%Y)
export TAPHOP_OPERATOR=demo

if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

# alive PID: the process exists and is not a zombie waiting to be reaped
alive() {
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

cleanup() {
	trap - EXIT INT TERM
	for np in $RUNNING; do kill -TERM "${np#*:}" 2>/dev/null || true; done
	for np in $RUNNING; do
		i=0
		while alive "${np#*:}" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "${np#*:}" 2>/dev/null || true
		wait "${np#*:}" 2>/dev/null || true
	done
	cd /
	rm -rf "$DEMO"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$DEMO"

fail() {
	printf 'demo: FAILED: %s\n' "$*" >&2
	for f in "$DEMO"/*.log; do
		[ -s "$f" ] || continue
		printf -- '--- last lines of %s\n' "${f##*/}" >&2
		tail -n 8 "$f" >&2
	done
	exit 1
}

# poll SECONDS WHAT COMMAND...: run COMMAND every 0.1 s until it succeeds
poll() {
	_pl=$(($1 * 10)) _pw=$2 _pi=0
	shift 2
	until "$@"; do
		_pi=$((_pi + 1))
		[ $_pi -lt $_pl ] || fail "no $_pw after $((_pl / 10)) s"
		sleep 0.1
	done
}

officer() {
	case $1 in
	binh-tan) echo "Quận Đoàn Bình Tân (Hải)" ;;
	an-lac) echo "Đoàn phường An Lạc (Thảo)" ;;
	tan-tao) echo "Đoàn phường Tân Tạo (Minh)" ;;
	binh-tri-dong) echo "Đoàn phường Bình Trị Đông (Ngọc)" ;;
	esac
}
# on NODE ARGS...: taphop on NODE's data directory, as its officer
on() {
	_on=$1
	shift
	"$TP" --dir "$DEMO/$_on" --as "$(officer "$_on")" "$@"
}
# shown NODE ARGS...: the same, with the command line printed first
quote() {
	for a; do
		case $a in
		'' | *[!A-Za-z0-9_./:=+-]*) printf " '%s'" "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
}
shown() {
	printf '[%s]$ taphop%s\n' "$1" "$(shift; quote "$@")"
	on "$@"
}
hub() { on "$HUB" "$@"; }

# ---- daemons -------------------------------------------------------------

json_has() { on "$1" --json status | grep -Eq "$2"; }
running() { json_has "$1" '"daemon_running": true'; }

start() {
	n=$1
	shift
	"$TPD" --dir "$DEMO/$n" --heartbeat-ms $HB "$@" 2>>"$DEMO/$n.log" &
	pid=$!
	RUNNING="$RUNNING $n:$pid"
	i=0
	until running "$n"; do
		alive $pid || fail "taphopd of $n exited at start"
		i=$((i + 1))
		[ $i -lt 100 ] || fail "taphopd of $n not running after 10 s"
		sleep 0.1
	done
}

# stop NODE: SIGTERM, wait (bounded) for a clean exit
stop() {
	left="" pid=""
	for np in $RUNNING; do
		if [ "${np%%:*}" = "$1" ]; then pid=${np#*:}; else left="$left $np"; fi
	done
	[ -n "$pid" ] || return 0
	kill -TERM "$pid"
	i=0
	while alive "$pid"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "taphopd of $1 ignored SIGTERM for 10 s"
		sleep 0.1
	done
	RUNNING=$left
	rc=0
	wait "$pid" || rc=$?
	[ $rc -eq 0 ] || fail "taphopd of $1 exited with status $rc on SIGTERM"
	printf '%-14s taphopd (pid %s) stopped cleanly, exit 0\n' "$1:" "$pid"
}

# every ward and the hub agree on each scope they share, and nothing waits
converged() {
	dh=$(hub digest --scope $HUB)
	for w in $WARDS; do
		[ "$(on $w digest --scope $HUB)" = "$dh" ] || return 1
		[ "$(on $w digest --scope $w)" = "$(hub digest --scope $w)" ] || return 1
	done
	for n in $HUB $WARDS; do
		if json_has $n '"waiting": [1-9]'; then return 1; fi
	done
}

converge() {
	for w in $WARDS; do on $w -q sync >/dev/null; done # the officer's "sync now"
	t0=$(date +%s%N)
	poll 20 "convergence of the four replicas" converged
	t1=$(date +%s%N)
	echo "all four replicas agree on what they share, $(( (t1 - t0) / 1000000 )) ms after the hub started"
}

# ---- generated spreadsheets ------------------------------------------------

# people WARD SEED SERIAL 'STREET|STREET|...': ~150 young people, the way a
# ward's Excel sheet has them (Vietnamese headers, DD/MM/YYYY or ISO dates)
people() {
	awk -v seed="$2" -v base="$3" -v streets="$4" -v year="$YEAR" '
	BEGIN {
		srand(seed)
		nf = split("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý", fam, " ")
		nm = split("Văn Minh Hoàng Quốc Hữu Đức Gia Thanh", mm, " ")
		nw = split("Thị Ngọc Thu Thanh Bảo Mỹ Kim Phương", mw, " ")
		ng = split("An Bình Cường Dũng Hải Hùng Khánh Long Minh Nam Phúc Quân Quang Sơn Tâm Trí Tú Tuấn Đức Khoa", gm, " ")
		nh = split("Hà Hạnh Hương Lan Linh Mai Ngân Ngọc Phương Thảo Trang Uyên Vy Yến Nhi Hiền", gw, " ")
		ns = split(streets, st, "|")
		split("worker worker worker student student employed self_employed unemployed", occ, " ")
		split("permanent temporary boarding_house boarding_house", res, " ")
		print "Họ và tên,Ngày sinh,Giới tính,Số CCCD,Số điện thoại,Địa chỉ,Nghề nghiệp,Cư trú,Ngày đồng ý"
		printf "Nguyễn Văn Đức,12/05/2001,male,0792010%05d,0903%06d,\"số 12 đường %s, khu phố 1\",worker,boarding_house,%d-03-01\n",
		       base, base, st[1], year - 1
		n = 140 + int(rand() * 20)
		for (i = 1; i < n; i++) {
			male = rand() < 0.5
			y = year - 30 + int(rand() * 15)
			name = fam[1 + int(rand() * nf)] " " (male ? mm[1 + int(rand() * nm)] : mw[1 + int(rand() * nw)]) " " \
			       (male ? gm[1 + int(rand() * ng)] : gw[1 + int(rand() * nh)])
			cccd = sprintf("079%d%02d0%05d", (y >= 2000 ? 2 : 0) + (male ? 0 : 1), y % 100, base + i)
			phone = sprintf("09%d%07d", int(rand() * 9), int(rand() * 10000000))
			addr = sprintf("\"số %d %s, khu phố %d\"", 1 + int(rand() * 300), st[1 + int(rand() * ns)], 1 + int(rand() * 6))
			printf "%s,%04d-%02d-%02d,%s,%s,%s,%s,%s,%s,%d-%02d-%02d\n", name, y, 1 + int(rand() * 12), 1 + int(rand() * 28),
			       male ? "male" : "female", cccd, phone, addr, occ[1 + int(rand() * 8)], res[1 + int(rand() * 4)],
			       year - 1, 1 + int(rand() * 12), 1 + int(rand() * 28)
		}
	}' >"$1-thanh-nien.csv"
}

# memberships WARD SEED UNIT...: about 60% of the ward's people are members
memberships() {
	w=$1 seed=$2
	shift 2
	on $w export person --output "$w-people.csv" 2>/dev/null
	awk -F'","' -v seed="$seed" -v units="$*" -v year="$YEAR" '
	BEGIN { srand(seed); nu = split(units, u, " "); print "person,kind,unit,role,joined_date,card_number,status" }
	NR > 1 && rand() < 0.6 {
		k++
		role = k % 25 == 1 ? "secretary" : k % 9 == 0 ? "core_cadre" : k % 13 == 0 ? "collaborator" : "member"
		printf "%s,%s,%s,%s,%d-%02d-26,DV%06d,active\n", substr($1, 2), rand() < 0.8 ? "union" : "federation",
		       u[1 + int(rand() * nu)], role, year - 1 - int(rand() * 8), 1 + int(rand() * 12), seed * 1000 + k
	}' "$w-people.csv" >"$w-doan-vien.csv"
	on $w import membership "$w-doan-vien.csv" --reason "sổ đoàn viên"
}

# support WARD SEED: loans from the district's bank, job referrals
support() {
	awk -F'","' -v seed="$2" -v bank="$BANK" -v jobs="$JOBS" -v year="$YEAR" '
	BEGIN { srand(seed); print "person,kind,partner,amount,status,proposed_date" }
	NR > 1 && rand() < 0.08 {
		loan = rand() < 0.6
		printf "%s,%s,%s,%s,%s,%d-%02d-10\n", substr($1, 2), loan ? "loan" : "job_referral", loan ? bank : jobs,
		       loan ? 10000000 * (1 + int(rand() * 5)) : "", rand() < 0.5 ? "approved" : "proposed", year - 1, 1 + int(rand() * 12)
	}' "$1-people.csv" >"$1-ho-tro.csv"
	on $1 import support_case "$1-ho-tro.csv" --reason "hồ sơ vay vốn, giới thiệu việc làm"
}

# ---- 1. enrollment ---------------------------------------------------------

PORT=$(perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0, ReuseAddr => 1) or die "no free port: $!\n"; print $s->sockport, "\n"')
EP=tcp://127.0.0.1:$PORT

say "Setup: the district hub and three wards enroll each other"
printf "[%s]\$ taphop init --hub   (its output: like the ward's below)\n" $HUB
hub init --hub >/dev/null
shown an-lac init --ward an-lac
KEYS=$(on an-lac enroll --show)
echo "--- the ward officer sends the district this line:"
shown an-lac enroll --show
shown $HUB enroll -- $KEYS
HUBKEYS=$(hub enroll --show | cut -d' ' -f2-)
shown an-lac enroll --hub "$EP" -- $HUBKEYS
for w in tan-tao binh-tri-dong; do
	on $w -q init --ward $w >/dev/null
	# shellcheck disable=SC2046 # the three words of the enroll line
	hub -q enroll -- $(on $w enroll --show) >/dev/null
	on $w -q enroll --hub "$EP" -- $HUBKEYS >/dev/null
done
echo "(tan-tao and binh-tri-dong: the same, quietly)"

# ---- 2. data ---------------------------------------------------------------

say "The district enters partners, an activity, $YEAR targets"
BANK=$(hub add partner --ward $HUB --kind bank --name "Ngân hàng Chính sách xã hội quận Bình Tân" \
	--contact "Chị Nguyễn Thị Hồng" --phone 02837620000)
JOBS=$(hub add partner --ward $HUB --kind employment_centre --name "Trung tâm Dịch vụ việc làm Thanh niên")
hub add partner --ward $HUB --kind vocational_school --name "Trường Trung cấp Nghề Bình Tân" >/dev/null
hub add partner --ward $HUB --kind trade_union --name "Liên đoàn Lao động quận Bình Tân" >/dev/null
hub add partner --ward $HUB --kind fatherland_front --name "Ủy ban MTTQ Việt Nam quận Bình Tân" >/dev/null
hub add activity --ward $HUB --line 1 --kind volunteer --title "Ngày hội việc làm thanh niên công nhân $YEAR" \
	--start-date "$YEAR-05-19" --place "Nhà văn hóa Thanh niên quận" --partners "Trung tâm Dịch vụ việc làm" >/dev/null
v=40
for w in $WARDS; do
	hub add target --ward $w --year "$YEAR" --metric new_union_members --value $v --reason "Kế hoạch 124-KH/ĐTN" >/dev/null
	hub add target --ward $w --year "$YEAR" --metric party_referrals --value $((v / 8)) >/dev/null
	v=$((v - 5))
done
shown $HUB list partner --columns name,kind,contact

say "Each ward imports its spreadsheets: young people, members"
set -- an-lac 124 10000 "Tên Lửa|Kinh Dương Vương|An Dương Vương|Hồ Học Lãm|Bà Hom|Đường số 7" "An Lạc" \
       tan-tao 311 20000 "Tỉnh lộ 10|Lê Đình Cẩn|Quốc lộ 1A|Trần Văn Giàu|Đường số 1|Đường số 3" "Tân Tạo" \
       binh-tri-dong 577 30000 "Hương lộ 2|Mã Lò|Lê Văn Quới|Đất Mới|Bình Trị Đông|Ấp Chiến Lược" "Bình Trị Đông"
while [ $# -gt 0 ]; do
	w=$1 seed=$2 base=$3 streets=$4 name=$5
	shift 5
	kp1=$(on $w add unit --kind branch_neighbourhood --name "Chi đoàn Khu phố 1")
	kp2=$(on $w add unit --kind branch_neighbourhood --name "Chi đoàn Khu phố 2")
	ent=$(on $w add unit --kind branch_enterprise --name "Chi đoàn Công ty TNHH May mặc $name")
	clb=$(on $w add unit --kind club --name "CLB Tiếng Anh thanh niên $name")
	people $w $seed $base "$streets"
	printf '%-14s ' "$w:"
	on $w import person "$w-thanh-nien.csv" --reason "nhập danh sách thanh niên từ Excel"
	printf '%-14s ' "$w:"
	memberships $w $((seed + 1)) $kp1 $kp2 $ent $clb
	on $w add activity --line 7 --kind market_playground --title "Phiên chợ 0 đồng cho công nhân khu trọ" \
		--start-date "$YEAR-06-09" --place "Khu phố 3, phường $name" --unit "$ent" >/dev/null
	on $w add activity --line 4 --kind exchange --title "Giao lưu tiếng Anh với sinh viên quốc tế" \
		--start-date "$YEAR-08-08" --unit "$clb" >/dev/null
done
shown an-lac list person --limit 5 --columns full_name,birth_date,citizen_id,address

# ---- 3. the wards start, the hub is down -------------------------------------

say "The wards start taphopd; the hub is not up yet"
for w in $WARDS; do start $w; done
poll 10 "connection attempt by an-lac" json_has an-lac '"state": "(connecting|no contact)'
shown an-lac status

say "The hub starts: first sync"
start $HUB --listen "$EP"
converge

say "The hub goes down; the wards keep working"
stop $HUB
poll 10 "notice of the lost hub at an-lac" json_has an-lac '"connected": false'
seed=11
for w in $WARDS; do
	printf '%-14s ' "$w:"
	support $w $seed
	seed=$((seed + 1))
done
DUC=$(on an-lac add person --full-name "Đặng Thị Mỹ Duyên" --birth-date 14/02/2004 --gender female \
	--citizen-id 079304012345 --phone 0937111222 --address "số 5 đường Bà Hom, khu phố 4" --occupation student)
on an-lac add membership --person "$DUC" --kind union --joined-date "$YEAR-03-26" --card-number DV124999 >/dev/null
echo "both offices change the bank's contact, neither seeing the other's edit:"
shown an-lac edit partner "$BANK" --contact "Anh Trần Minh Quân" --reason "cán bộ tín dụng mới"
shown $HUB edit partner "$BANK" --contact "Chị Võ Thị Thu" --reason "theo công văn của NHCSXH"
shown an-lac status

# ---- 4. the hub is back -------------------------------------------------------

say "The hub is back"
start $HUB --listen "$EP"
converge

say "Status of every node"
for n in $HUB $WARDS; do shown $n status; done

say "Digests: hub and wards agree on every scope they share"
short() { on "$1" digest --scope "$2" | cut -c1-12; }
printf '%-15s %-14s %-14s %-14s %-14s\n' scope $HUB $WARDS
for s in $HUB $WARDS; do
	row="$(short $HUB $s)"
	for w in $WARDS; do
		if [ $s = $HUB ] || [ $s = $w ]; then row="$row $(short $w $s)"; else row="$row -"; fi
	done
	printf '%-15s %-14s %-14s %-14s %-14s\n' $s $row
done
echo "(-: a ward holds no other ward's records)"

say "The concurrent edit: one value everywhere, the other kept"
for n in $HUB an-lac tan-tao; do
	printf '%-14s %s\n' "$n:" "$(on $n show partner "$BANK" | grep 'Người liên hệ')"
done
shown $HUB conflicts list

say "Who holds whose people"
count() { on "$1" --json list person --ward "$2" | grep -c '"full_name"' || true; }
printf '%-15s %-12s %-12s %-12s\n' "people of" "on the ward" "on the hub" "on an-lac"
for w in $WARDS; do
	printf '%-15s %-12s %-12s %-12s\n' $w "$(count $w $w)" "$(count $HUB $w)" "$(count an-lac $w)"
done
echo "an-lac's $YEAR targets, set by the district:"
on an-lac list target --columns year,metric,value 2>&1 | sed 's/^/  /'

say "Search on the hub, without diacritics"
shown $HUB find nguyen van duc

say "The hub's last change-sets"
shown $HUB log --limit 5

say "The hub's signed audit archive"
# taphopd archives within a second of applying; make sure it has
on $HUB -q audit update >/dev/null
shown $HUB audit verify || echo "(audit verify FAILED: see the findings above)"

say "Stopping the daemons"
for n in $WARDS $HUB; do stop $n; done
echo "done in $(($(date +%s) - START)) s; removing $DEMO"

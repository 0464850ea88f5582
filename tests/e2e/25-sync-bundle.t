#!/bin/sh
# Bundles follow the network's rules: a refused change-set parks its
# stream (status shows it, later ones are skipped until --unpark); a bundle
# cut short keeps what came before the cut and says so.
. "$(dirname "$0")/tools/synclib.sh"

mk_hub && mk_ward w1 an-lac
for i in 1 2 3; do tp --dir "$T/w1" -q add person --full-name "Lý Thị Hoa $i" --birth-date 2001-02-0$i >/dev/null; done
tp --dir "$T/w1" -q bundle export "$T/all.tpb" --origin an-lac
check "bundle exported" test -s "$T/all.tpb"
ncs() { "$TP" --dir "$T/$1" log --limit 0 --origin "$2" --json 2>/dev/null | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}, "\n"'; }

size=$(wc -c < "$T/all.tpb")
head -c $((size - 10)) "$T/all.tpb" > "$T/cut.tpb"
check "a cut bundle fails" sh -c "! $TP --dir '$T/hub' bundle import '$T/cut.tpb' >/dev/null 2>'$T/cut.err'"
check "it says the earlier change-sets were kept" grep -q "before the cut were kept" "$T/cut.err"
check "and they were" test "$(ncs hub an-lac)" = 2

perl -e 'local $/; my $b = <STDIN>; substr($b, -1, 1) = chr(ord(substr($b, -1, 1)) ^ 1); print $b' < "$T/all.tpb" > "$T/bad.tpb"
check "a bad signature in a bundle fails" sh -c "! $TP --dir '$T/hub' bundle import '$T/bad.tpb' >/dev/null 2>'$T/bad.err'"
check "it says the stream is parked" grep -q "stream an-lac/an-lac is parked" "$T/bad.err"
check "status shows it parked" sh -c "$TP --dir '$T/hub' status | grep -q 'PARKED: stream an-lac/an-lac'"
check "the good bundle's later change-set is skipped while parked" \
	sh -c "$TP --dir '$T/hub' bundle import '$T/all.tpb' 2>/dev/null | grep -q '1 skipped'"
check "nothing more landed" test "$(ncs hub an-lac)" = 2
tp --dir "$T/hub" -q sync --unpark an-lac/an-lac >/dev/null
check "after --unpark the bundle imports" sh -c "$TP --dir '$T/hub' bundle import '$T/all.tpb' | grep -q '1 applied'"
check "all three held" test "$(ncs hub an-lac)" = 3
done_testing

#!/bin/sh
# Smoke runs of the fuzz targets (the long run is `make fuzz`): the wire
# envelope from built-in seeds, and the change-set decoder and store_apply
# from real signed change-sets that a replica sealed, mutated.
F=${TAPHOP_FUZZ:-}
if [ -z "$F" ] || [ ! -x "$F/fuzz_envelope" ] || [ ! -x "$F/fuzz_changeset" ]; then
	echo "1..0 # SKIP fuzz targets not built (TAPHOP_FUZZ)"; exit 0
fi
TP=${TAPHOP_BIN:?}/taphop
T=$(mktemp -d "${TMPDIR:-/tmp}/taphop-fuzz.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
echo "1..3"
if "$F/fuzz_envelope" -runs=100000 >/dev/null; then
	echo "ok 1 - fuzz_envelope survives 100000 mutations"
else
	echo "not ok 1 - fuzz_envelope crashed"
fi

# a corpus of real change-sets: a ward's writes, split out of a bundle
export TAPHOP_OPERATOR=fuzz
"$TP" --dir "$T/w" -q init --ward an-lac >/dev/null
for i in 1 2 3; do
	"$TP" --dir "$T/w" -q add person --full-name "Nguyễn Văn Đức $i" \
		--birth-date 2001-05-1$i --citizen-id 07920100123$i >/dev/null
done
"$TP" --dir "$T/w" -q add partner --ward binh-tan --name "Ngân hàng" --kind bank >/dev/null
"$TP" --dir "$T/w" -q bundle export "$T/b.tpb" >/dev/null 2>&1
mkdir "$T/corpus"
perl -e 'local $/; open my $f, "<", $ARGV[0] or die; my $b = <$f>;
	$b =~ s/^taphop-bundle-1\n// or die "not a bundle\n"; my $i = 0;
	while (length $b >= 4) { my $n = unpack "N", $b; my $cs = substr $b, 4, $n;
		open my $o, ">", "$ARGV[1]/cs" . $i++ or die; print $o $cs; close $o;
		$b = substr $b, 4 + $n; }
	print "$i\n"' "$T/b.tpb" "$T/corpus" > "$T/n"
if [ "$(cat "$T/n")" -ge 2 ]; then
	echo "ok 2 - a corpus of $(cat "$T/n") signed change-sets"
else
	echo "not ok 2 - no change-sets to fuzz from"
fi
if TMPDIR="$T" "$F/fuzz_changeset" -runs=20000 "$T/corpus" >/dev/null; then
	echo "ok 3 - fuzz_changeset survives 20000 mutations of real change-sets"
else
	echo "not ok 3 - fuzz_changeset crashed"
fi

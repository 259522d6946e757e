#!/usr/bin/env bash
# audit_test.sh -- `cdsync audit` as an auditor runs it: a folder of files
# a district hub exported (bundles, receipts with their inclusion proofs,
# its snapshot with the proofs of its checkpoint) and the national
# catalog, checked with the root's fingerprint alone.  The folder as
# written holds; then each way a dishonest hub could tamper with it is
# found, with its message: a change altered, a bundle dropped, a bundle
# nobody signed, a bundle replayed (counted once), a forked chain, a
# bundle replaced by another of its number, a bundle that follows another
# history, a split view of the hub's log, a log rewritten, a bundle signed
# with a revoked key passed off as counted, a forged catalog, a district's
# figures changed (found by the auditor's recount) and a union left out of
# them (found by the receipts).  And the
# district's audit pack: it holds, its manifest checks with sha256sum, and
# openssl verifies a school's bundle and the hub's checkpoint from the
# files in its verify/ folder (and refuses a changed header).
#
# Run by ctest with CDSYNC_BIN_DIR set; by hand:
#   CDSYNC_BIN_DIR=build/bin LANG=en bash tests/e2e/audit_test.sh
set -euo pipefail

BIN_DIR=${CDSYNC_BIN_DIR:?set CDSYNC_BIN_DIR to the directory of cdsync}
CDSYNC="$BIN_DIR/cdsync"
export LANG=en LANGUAGE= LC_ALL=
export CDSYNC_PASSPHRASE="mat-khau-thu-nghiem"

T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
[ -z "${KEEP:-}" ] || echo "audit_test: kept $T" >&2
N="$T/vn" D="$T/hg-vx" S="$T/lungcu" S2="$T/thanhduc"
passed=0
failed=0

must() {
	if ! "$CDSYNC" "$@" >"$T/must" 2>&1; then
		echo "FAIL: cdsync $*" >&2
		cat "$T/must" >&2
		exit 1
	fi
}
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $1" >&2; }
fpr() { grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' | head -1; }

# audit DIR: runs the audit; its output in $T/out, its exit code in $rc
audit() {
	set +e
	"$CDSYNC" audit "$1" --root-fingerprint "$root" >"$T/out" 2>&1
	rc=$?
	set -e
}
# finds NAME DIR TEXT: the audit of DIR fails (exit 1) and says TEXT
finds() {
	audit "$2"
	if [ $rc -eq 1 ] && grep -qF -- "$3" "$T/out"; then
		ok
	else
		bad "$1 (exit $rc)"
		cat "$T/out" >&2
	fi
}
# copy NAME: a fresh copy of the clean folder, in $T/NAME
copy() { rm -rf "$T/$1"; cp -r "$T/clean" "$T/$1"; }

# ==== The tree, on files =================================================
must --home "$N" init --role national --org VN --name "Công đoàn Giáo dục Việt Nam"
root=$("$CDSYNC" --home "$N" catalog show | fpr)
enrol() {	# enrol CHILD PARENT
	local f
	f=$("$CDSYNC" --home "$1" enrol request --out "$T/req.cdsq" | fpr)
	must --home "$2" enrol approve "$T/req.cdsq" --fingerprint "$f" --out "$T/cat.cdsa"
	must --home "$1" catalog import "$T/cat.cdsa" --root-fingerprint "$root"
}
# the auditor, enrolled by the national union first: every bundle sealed
# below is encrypted to it too
AU="$T/auditor"
must --home "$AU" init --role auditor --org KT-VN --name "Kiểm toán viên" --parent VN
enrol "$AU" "$N"
"$CDSYNC" --home "$N" catalog show > "$T/out" 2>&1
if grep -q '^KT-VN .* auditor ' "$T/out"; then ok; else bad "the catalog shows the auditor as one"; cat "$T/out" >&2; fi
must --home "$D" init --role hub --org HG-VX --name "Công đoàn Giáo dục huyện Vị Xuyên" --parent VN
enrol "$D" "$N"
must --home "$S" init --role school --org HG-VX-TH-LUNGCU --name "Trường Tiểu học Lũng Cú" --parent HG-VX
enrol "$S" "$D"
must --home "$S2" init --role school --org HG-VX-TH-THANHDUC --name "Trường Tiểu học Thanh Đức" --parent HG-VX
enrol "$S2" "$D"
up() {		# up SCHOOL: its bundles to the district, on a stick
	rm -rf "$T/stick"; mkdir "$T/stick"
	must --home "$1" export --out "$T/stick"
	must --home "$D" import "$T/stick"
}
must --home "$S" activity add --held-on 20/10/2025 --title "Thăm hỏi" --kind care
up "$S"
cp -r "$S" "$T/lungcu-backup"		# the school before bundle 2
cp -r "$D" "$T/hg-vx-backup"		# the district before it
must --home "$S" activity add --held-on 20/11/2025 --title "Hội thao" --kind culture
up "$S"
# the district exports twice to the auditor's folder: its log at 2 leaves
# (the proofs of those receipts stay as written), then at 3
mkdir "$T/clean"
must --home "$D" snapshot make
must --home "$D" export --out "$T/clean"
must --home "$S2" activity add --held-on 08/03/2026 --title "Gặp mặt 8/3" --kind culture
up "$S2"
must --home "$D" snapshot make
must --home "$D" export --out "$T/clean"
must --home "$N" catalog export --out "$T/clean/catalog-VN.cdsa"

# ==== The folder as written holds ========================================
audit "$T/clean"
if [ $rc -eq 0 ] && grep -q "Everything holds." "$T/out" &&
   grep -q "2 snapshot(s)" "$T/out" && grep -q "of 3 node(s)" "$T/out"; then ok; else bad "the clean folder (exit $rc)"; cat "$T/out" >&2; fi
set +e
"$CDSYNC" audit "$T/clean" --root-fingerprint "$root" --json >"$T/json"
jrc=$?
set -e
if [ $jrc -eq 0 ] && grep -q '"ok": true' "$T/json" && grep -q '"failures": \[\]' "$T/json"; then ok; else bad "--json (exit $jrc)"; fi
set +e
"$CDSYNC" audit "$T/clean" >/dev/null 2>&1; urc=$?
"$CDSYNC" audit "$T/clean" --root-fingerprint AAAA-BBBB-CCCC-DDDD >"$T/out" 2>&1; frc=$?
set -e
[ $urc -eq 2 ] && ok || bad "without --root-fingerprint: a usage error (exit $urc)"
if [ $frc -eq 1 ] && grep -q "no catalog holds the national root's sheet with the fingerprint AAAA-BBBB-CCCC-DDDD" "$T/out"; then ok; else bad "another root (exit $frc)"; fi

# ==== An audit pack, and stock tools =====================================
must --home "$D" audit pack --org HG-VX --period 2025-2026 --out "$T/pack"
audit "$T/pack"
if [ $rc -eq 0 ] && grep -q "Everything holds." "$T/out"; then ok; else bad "the audit pack (exit $rc)"; cat "$T/out" >&2; fi
if (cd "$T/pack" && sha256sum -c --quiet MANIFEST.sha256); then ok; else bad "sha256sum -c MANIFEST.sha256"; fi
grep -q "^period 2025-2026$" "$T/pack/PACK.txt" && ok || bad "PACK.txt names the period"
if command -v openssl >/dev/null; then
	pem=$(ls "$T/pack/verify"/HG-VX-TH-LUNGCU-*.pem)
	hdr=$(ls "$T/pack/verify"/HG-VX-TH-LUNGCU-*-000001.header)
	v=$(openssl pkeyutl -verify -pubin -inkey "$pem" -rawin -in "$hdr" -sigfile "${hdr%.header}.sig" 2>&1 || true)
	[ "$v" = "Signature Verified Successfully" ] && ok || bad "openssl verifies a school's bundle: $v"
	hub=$(ls "$T/pack/verify"/HG-VX-[0-9a-f]*.pem)
	v=$(openssl pkeyutl -verify -pubin -inkey "$hub" -rawin -in "$T/pack/verify/checkpoint.text" -sigfile "$T/pack/verify/checkpoint.sig" 2>&1 || true)
	[ "$v" = "Signature Verified Successfully" ] && ok || bad "openssl verifies the hub's checkpoint: $v"
	cp "$hdr" "$T/changed.header"
	printf '\x01' | dd of="$T/changed.header" bs=1 seek=20 conv=notrunc 2>/dev/null
	v=$(openssl pkeyutl -verify -pubin -inkey "$pem" -rawin -in "$T/changed.header" -sigfile "${hdr%.header}.sig" 2>&1 || true)
	case "$v" in *"Verification Failure"*) ok ;; *) bad "openssl refuses a changed header: $v" ;; esac
else
	bad "openssl is not installed (tools/deps installs it)"
fi

# ==== The auditor counts the figures again ===============================
set +e
"$CDSYNC" --home "$AU" audit "$T/clean" --root-fingerprint "$root" --recount >"$T/out" 2>&1
rc=$?
set -e
if [ $rc -eq 0 ] && grep -q "Snapshots counted again from the bundles: 2; not: 0" "$T/out"; then ok; else bad "the auditor recounts the snapshots (exit $rc)"; cat "$T/out" >&2; fi
set +e
"$CDSYNC" --home "$D" audit "$T/clean" --root-fingerprint "$root" --recount >"$T/out" 2>&1
rc=$?
set -e
if [ $rc -eq 1 ] && grep -q "recount needs an auditor's node" "$T/out"; then ok; else bad "--recount at a hub (exit $rc)"; fi
# the district's store changed behind its change log: its signed figures
# are not the schools'
cp -r "$D" "$T/hg-vx-dishonest"
sqlite3 "$T/hg-vx-dishonest/store.db" "UPDATE activity SET kind = 'training' WHERE title = 'Hội thao'"
copy figures
must --home "$T/hg-vx-dishonest" snapshot make --out "$T/dishonest.cdss"
rm "$T/figures"/snapshot-HG-VX-*.cdss
cp "$T/dishonest.cdss" "$T/figures/snapshot-HG-VX-3.cdss"
set +e
"$CDSYNC" --home "$AU" audit "$T/figures" --root-fingerprint "$root" --recount >"$T/out" 2>&1
rc=$?
set -e
if [ $rc -eq 1 ] && grep -q "snapshot-HG-VX-3.cdss: HG-VX-TH-LUNGCU, 2025-2026, kind.training: signed 1, counted from the bundles 0" "$T/out"; then ok; else bad "a figure changed at the district, found by the auditor (exit $rc)"; cat "$T/out" >&2; fi

# the district leaves a school out of its figures, and out of the heads
# of its snapshot: the recount finds nothing to differ, the receipts do
cp -r "$D" "$T/hg-vx-leftout"
sqlite3 "$T/hg-vx-leftout/store.db" "UPDATE sync_peer SET last_seq = 0 WHERE org_code = 'HG-VX-TH-THANHDUC';
	DELETE FROM activity WHERE org_id = (SELECT id FROM org_unit WHERE code = 'HG-VX-TH-THANHDUC')"
copy leftout
must --home "$T/hg-vx-leftout" snapshot make --out "$T/leftout.cdss"
rm "$T/leftout"/snapshot-HG-VX-*.cdss
cp "$T/leftout.cdss" "$T/leftout/snapshot-HG-VX-3.cdss"
finds "a union left out of the district's figures" "$T/leftout" \
	"snapshot-HG-VX-3.cdss: HG-VX logged bundle 1 of HG-VX-TH-THANHDUC at leaf 2, in the tree this snapshot names (3 leaves), and the snapshot counts no bundle of HG-VX-TH-THANHDUC: a union left out of its figures"

b1=$(ls "$T/clean" | grep -E '^HG-VX-TH-LUNGCU-[0-9a-f]{8}-000001\.cdsb$')
b2=$(ls "$T/clean" | grep -E '^HG-VX-TH-LUNGCU-[0-9a-f]{8}-000002\.cdsb$')

# ==== A change altered ===================================================
copy altered
flip() {	# flip FILE OFFSET: one byte of FILE changed
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf '%03o' $(( (b + 1) % 256 )))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
size=$(stat -c %s "$T/altered/$b2")
flip "$T/altered/$b2" $((size - 100))
finds "one byte of a bundle changed" "$T/altered" \
	"$b2: its signature does not verify: the bundle was changed after it was signed"

# ==== A bundle replayed ==================================================
# the same bundle again, under another name: it counts once, and the
# recount of the district's figures from the bundles is the same
copy replayed
cp "$T/replayed/$b1" "$T/replayed/again-$b1"
set +e
"$CDSYNC" --home "$AU" audit "$T/replayed" --root-fingerprint "$root" --recount >"$T/out" 2>&1
rc=$?
set -e
if [ $rc -eq 0 ] && grep -q "1 bundle file(s) hold a bundle another file holds too (a replay): each bundle counts once." "$T/out" &&
   grep -q "Snapshots counted again from the bundles: 2; not: 0" "$T/out"; then ok; else bad "a bundle replayed (exit $rc)"; cat "$T/out" >&2; fi

# ==== A bundle dropped ===================================================
copy dropped
rm "$T/dropped/$b2"
finds "a bundle dropped: its receipt" "$T/dropped" \
	"HG-VX says it merged bundle 2 of HG-VX-TH-LUNGCU, and the bundle is not among the files (dropped?)"
copy gap
rm "$T/gap/$b1" "$T/gap/receipt-HG-VX-TH-LUNGCU-000001".*
finds "a bundle dropped with its receipt: the gap" "$T/gap" \
	"bundles 1 to 1 of HG-VX-TH-LUNGCU are not among the files: the chain has a gap (dropped?)"

# ==== A bundle nobody signed ==============================================
R="$T/rogue"
must --home "$R" init --role school --org HG-VX-TH-LUNGCU --name "Giả mạo" --parent HG-VX
must --home "$D" keys --out "$T/hg-vx.keys"
must --home "$R" peer add "$T/hg-vx.keys" --upstream
must --home "$R" activity add --held-on 20/12/2025 --title "Không có thật" --kind care
mkdir "$T/rogue-out"
"$CDSYNC" --home "$R" export --out "$T/rogue-out" >/dev/null 2>&1 || true
copy forged
rb=$(ls "$T/rogue-out" | grep '\.cdsb$' | head -1 || true)
if [ -n "$rb" ]; then
	cp "$T/rogue-out/$rb" "$T/forged/$rb"
	finds "a bundle of a node the catalog does not have" "$T/forged" \
		"$rb: sent by node …"
	grep -qF "which the catalog does not have: nobody enrolled signed it" "$T/out" && ok || bad "and says nobody enrolled signed it"
else
	bad "the rogue node wrote no bundle"
fi

# ==== A forked chain, and a bundle replaced ==============================
must --home "$T/lungcu-backup" activity add --held-on 21/11/2025 --title "Khác" --kind health
mkdir "$T/fork-out"
must --home "$T/lungcu-backup" export --out "$T/fork-out"
fb=$(ls "$T/fork-out" | grep -E '000002\.cdsb$')
copy forked
cp "$T/fork-out/$fb" "$T/forked/other-$fb"
finds "two bundles with one number" "$T/forked" \
	"two different bundles with number 2 of HG-VX-TH-LUNGCU"
copy replaced
cp "$T/fork-out/$fb" "$T/replaced/$b2"
finds "a bundle replaced by another of its number" "$T/replaced" \
	"not the bundle HG-VX received as number 2 of HG-VX-TH-LUNGCU"

# ==== A bundle from another history ======================================
# bundle 3 of the forked chain follows bundle 2 of that chain, not the
# bundle 2 among the files: put in after it, the chain does not hold
must --home "$T/lungcu-backup" activity add --held-on 22/11/2025 --title "Tiếp" --kind care
rm -rf "$T/fork-out3"; mkdir "$T/fork-out3"
must --home "$T/lungcu-backup" export --out "$T/fork-out3"
f3=$(ls "$T/fork-out3" | grep -E '000003\.cdsb$')
copy broken
cp "$T/fork-out3/$f3" "$T/broken/"
finds "a bundle that follows another bundle 2" "$T/broken" \
	"$f3: it does not name bundle 2 of HG-VX-TH-LUNGCU as the one before it"

# ==== A split view, and a log rewritten ==================================
# The district's store as it was before bundle 2 takes the other bundle 2
# in: a second log, which agrees with the first up to its last leaf.
rm -rf "$T/stick"; mkdir "$T/stick"; cp "$T/fork-out/$fb" "$T/stick/"
must --home "$T/hg-vx-backup" import "$T/stick"
must --home "$T/hg-vx-backup" snapshot make
mkdir "$T/other-view"
must --home "$T/hg-vx-backup" export --out "$T/other-view"
copy split
r2=$(basename "$(ls "$T/other-view"/receipt-HG-VX-TH-LUNGCU-000002.cdsr)" .cdsr)
cp "$T/other-view/$r2.cdsr" "$T/split/other-$r2.cdsr"
cp "$T/other-view/$r2.tlog-proof" "$T/split/other-$r2.tlog-proof"
finds "two trees of one size" "$T/split" "a split view"
copy rewritten
# the other log's checkpoint of size 2 in place of the first log's: the
# first log's proof from size 2 to 3 does not start from it
osnap=$(ls "$T/other-view" | grep '\.cdss$')
rm "$T/rewritten/snapshot-HG-VX-2.cdss"
cp "$T/other-view/$osnap" "$T/rewritten/other-$osnap"
finds "the log rewritten" "$T/rewritten" \
	"(the log of HG-VX was rewritten, or shown in two versions)"

# ==== A bundle signed with a revoked key ==================================
must --home "$D" enrol revoke HG-VX-TH-THANHDUC --reason "mất máy"
must --home "$S2" activity add --held-on 10/04/2026 --title "Sau khi mất máy" --kind care
rm -rf "$T/stick"; mkdir "$T/stick"
must --home "$S2" export --out "$T/stick"
copy revoked
must --home "$D" catalog export --out "$T/revoked/catalog-VN.cdsa"
late=$(ls "$T/stick" | grep -E '^HG-VX-TH-THANHDUC-.*-000002\.cdsb$')
cp "$T/stick/$late" "$T/revoked/"
finds "a bundle signed after its key was revoked, passed off" "$T/revoked" \
	"$late: signed by the key of HG-VX-TH-THANHDUC revoked on"

# ==== An older catalog ====================================================
# the same late bundle with the catalog of before the revocation: the
# files alone cannot tell, the auditor's node, which took the newer one
# in, can
copy oldcat
cp "$T/stick/$late" "$T/oldcat/"
must --home "$D" catalog export --out "$T/newcat.cdsa"
must --home "$AU" catalog import "$T/newcat.cdsa"
audit "$T/oldcat"
[ $rc -eq 0 ] && ok || { bad "an older catalog: the files alone hold (exit $rc)"; cat "$T/out" >&2; }
set +e
"$CDSYNC" --home "$AU" audit "$T/oldcat" --root-fingerprint "$root" --recount >"$T/out" 2>&1
rc=$?
set -e
if [ $rc -eq 1 ] && grep -q "and this auditor's node holds edition" "$T/out" &&
   grep -q "the catalog among the files is older, and may hide a revocation or a change since" "$T/out"; then ok; else bad "an older catalog, found at the auditor's node (exit $rc)"; cat "$T/out" >&2; fi

# ==== A forged catalog ====================================================
copy badcat
c=$(ls "$T/badcat" | grep -E '^catalog-HG-VX\.cdsa$')
size=$(stat -c %s "$T/badcat/$c")
flip "$T/badcat/$c" $((size - 10))
finds "a catalog changed" "$T/badcat" "$c"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

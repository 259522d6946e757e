#!/usr/bin/env bash
# tree_test.sh -- end-to-end test of `cdsync org` (rename, move, merge,
# list, changes) and `cdsync kpi --as-of` under the tree of a date, run
# as a user runs them: five nodes in temporary homes, built on enrolment
# alone (the national hub VN; the province hubs HG and TQ; one school
# under each), the school year carried up on a folder, then a province
# merger recorded at the national hub.  English messages, exact outputs.
#
# Run by ctest (tests/CMakeLists.txt) with CDSYNC_BIN_DIR set; by hand:
#   CDSYNC_BIN_DIR=build/bin LANG=en bash tests/e2e/tree_test.sh
set -euo pipefail

BIN_DIR=${CDSYNC_BIN_DIR:?set CDSYNC_BIN_DIR to the directory of cdsync}
CDSYNC="$BIN_DIR/cdsync"
export LANG=en LANGUAGE= LC_ALL=
export CDSYNC_PASSPHRASE="mat-khau-thu-nghiem"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
N="$T/vn" HG="$T/hg" TQ="$T/tq" A="$T/hg-a" B="$T/tq-a"

passed=0
failed=0

# run ARGS...: runs cdsync; stdout, stderr and exit code in $T/out,
# $T/err and $rc.
run() {
	set +e
	"$CDSYNC" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}

# must ARGS...: a step that has to work.
must() {
	if ! "$CDSYNC" "$@" >"$T/must" 2>&1; then
		echo "FAIL: cdsync $*" >&2
		cat "$T/must" >&2
		exit 1
	fi
}

ids() {
	sed -E 's/\b[0-9a-f]{32}\b/<fullid>/g; s/\b[0-9a-f]{8}\b/<id>/g'
}

ok() {
	passed=$((passed + 1))
}

bad() {
	failed=$((failed + 1))
	echo "FAIL: $1" >&2
}

same() {
	if [ "$2" == "$3" ]; then
		ok
	else
		bad "$1"
		diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$3") >&2 || true
	fi
}

expect() {
	same "$1: exit code" "$2" "$rc"
	same "$1: output" "$3" "$(ids <"$T/out")"
	same "$1: messages" "$4" "$(ids <"$T/err")"
}

fpr() {
	grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' | head -1
}

# enrol HOME PARENT-HOME: the node at HOME asks, the parent approves.
enrol() {
	local f
	f=$("$CDSYNC" --home "$1" enrol request --out "$T/req.cdsq" | fpr)
	must --home "$2" enrol approve "$T/req.cdsq" --fingerprint "$f" \
		--out "$T/cat.cdsa"
	must --home "$1" catalog import "$T/cat.cdsa" --root-fingerprint "$root"
}

# fig JSON-FILE KPI-ID: "num/den" of one KPI of `cdsync kpi --json`.
fig() {
	awk -v id="\"$2\"" '
		$1 == "\"id\":" { f = ($2 == id "," ) }
		f && $1 == "\"num\":" { n = $2; sub(",", "", n) }
		f && $1 == "\"den\":" { d = $2; sub(",", "", d); print n "/" d; exit }
	' "$1"
}

# The figures of a `cdsync kpi --json`, without the unit and the window.
figures() {
	grep -vE '"(org|to|as_of)"' "$1"
}

# How much a store holds of tree changes and captured changes.
counts() {
	printf '%s %s' "$("$CDSYNC" --home "$1" org changes --json | grep -c '"id"')" \
		"$("$CDSYNC" --home "$1" changes --json | grep -c '"seq"')"
}

# ==== The tree, built on enrolment ===================================

must --home "$N" init --role national --org VN --name "Công đoàn Giáo dục Việt Nam"
root=$("$CDSYNC" --home "$N" catalog show | fpr)
must --home "$HG" init --role hub --org HG --name "Công đoàn Giáo dục tỉnh Hà Giang" --parent VN
enrol "$HG" "$N"
must --home "$TQ" init --role hub --org TQ --name "Công đoàn Giáo dục tỉnh Tuyên Quang" --parent VN
enrol "$TQ" "$N"
must --home "$A" init --role school --org HG-A --name "Trường Tiểu học Lũng Cú" --parent HG
enrol "$A" "$HG"
must --home "$B" init --role school --org TQ-A --name "Trường THCS Na Hang" --parent TQ
enrol "$B" "$TQ"

# A school year: members, care for some of them, propaganda at one.
for i in 1 2 3; do
	must --home "$A" member add --code "A$i" --name "Giáo viên A$i" --joined 01/09/2020
done
must --home "$A" activity add --date 20/01/2026 --kind care --title "Tết Sum vầy" \
	--benefit A1=500000 --benefit A2=500000 --cost 1.000.000
for i in 1 2; do
	must --home "$B" member add --code "B$i" --name "Giáo viên B$i" --joined 01/09/2020
done
must --home "$B" activity add --date 22/01/2026 --kind care --title "Tết Sum vầy" \
	--benefit B1=300000 --benefit B2=300000 --cost 600.000
must --home "$B" activity add --date 15/03/2026 --kind propaganda \
	--title "Luật Công đoàn 2024"

# Up the tree on folders: schools -> provinces -> national.
must --home "$A" export --out "$T/usb-a"
must --home "$HG" import "$T/usb-a"
must --home "$HG" export --out "$T/usb-hg"
must --home "$B" export --out "$T/usb-b"
must --home "$TQ" import "$T/usb-b"
must --home "$TQ" export --out "$T/usb-tq"
must --home "$N" import "$T/usb-hg"
must --home "$N" import "$T/usb-tq"

# ==== org list: the tree the catalog gives ===========================

run --home "$N" org list --as-of 30/06/2026
expect "org list before the merger" 0 \
"The tree of unions on 30/06/2026:

Code      Name                                 Level              Parent  Merged into
--------  -----------------------------------  -----------------  ------  -----------
VN        Công đoàn Giáo dục Việt Nam          national union
  HG      Công đoàn Giáo dục tỉnh Hà Giang     upper-level union  VN
    HG-A  Trường Tiểu học Lũng Cú              grassroots union   HG
  TQ      Công đoàn Giáo dục tỉnh Tuyên Quang  upper-level union  VN
    TQ-A  Trường THCS Na Hang                  grassroots union   TQ
Total: 5" ""

run --home "$N" org changes
expect "org changes when there are none" 0 "No changes to the tree are recorded." ""

# ==== KPIs before the merger =========================================

"$CDSYNC" --home "$N" kpi --org HG --period 2025-2026 --as-of 30/06/2026 --json >"$T/hg0.json"
"$CDSYNC" --home "$N" kpi --org TQ --period 2025-2026 --as-of 30/06/2026 --json >"$T/tq0.json"
"$CDSYNC" --home "$N" kpi --period 2025-2026 --as-of 30/06/2026 --json >"$T/vn0.json"
same "HG before: its school" "1/1" "$(fig "$T/hg0.json" P2.U.care)"
same "HG before: coverage" "2/3" "$(fig "$T/hg0.json" P2.U.coverage)"
same "TQ before: its school" "1/1" "$(fig "$T/tq0.json" P2.U.propaganda)"
same "TQ before: coverage" "2/2" "$(fig "$T/tq0.json" P2.U.coverage)"
same "VN before: both schools" "2/2" "$(fig "$T/vn0.json" P2.U.care)"
same "VN before: coverage" "4/5" "$(fig "$T/vn0.json" P2.U.coverage)"

# ==== Refusals: nothing is recorded ==================================

before=$(counts "$N")
run --home "$N" org move NOPE --parent HG --on 01/07/2026
expect "move of an unknown code" 1 "" \
"cdsync: there is no org unit with the code 'NOPE'"
run --home "$N" org merge TQ --into NOPE --on 01/07/2026
expect "merge into an unknown code" 1 "" \
"cdsync: there is no org unit with the code 'NOPE'"
run --home "$N" org move HG --parent HG-A --on 01/07/2026
expect "a move that would make a cycle" 1 "" \
"cdsync: HG cannot be moved under HG-A, which is below it in the tree on 01/07/2026: that would make a cycle; nothing was recorded"
run --home "$N" org move HG --parent HG --on 01/07/2026
expect "a move under itself" 1 "" \
"cdsync: HG cannot be moved under itself; nothing was recorded"
run --home "$N" org move TQ --parent TQ-A --on 01/07/2026
expect "a move under a school's union, below it" 1 "" \
"cdsync: TQ cannot be moved under TQ-A, which is below it in the tree on 01/07/2026: that would make a cycle; nothing was recorded"
run --home "$N" org merge TQ-A --into HG --on 01/07/2026
expect "a merge into a unit of another level" 1 "" \
"cdsync: TQ-A (grassroots union) cannot be merged into HG (upper-level union): a merger joins two unions of the same level; nothing was recorded"
run --home "$N" org merge VN --into HG --on 01/07/2026
expect "the national union is never merged" 1 "" \
"cdsync: VN is the national union, the root of the tree: it is never moved or merged; nothing was recorded"
same "nothing recorded at the national hub" "$before" "$(counts "$N")"
before=$(counts "$HG")
run --home "$HG" org move HG --parent HG-A --on 01/07/2026
expect "a change by a union that is not above the unit" 1 "" \
"cdsync: HG may not change the place of HG: it is neither the national union nor above it in the tree on 01/07/2026; nothing was recorded"
same "nothing recorded at the province" "$before" "$(counts "$HG")"

# Command-line mistakes.
run --home "$N" org merge TQ --on 01/07/2026
expect "merge without --into" 2 "" \
"cdsync: --into CODE is required
Try 'cdsync org merge --help'."
run --home "$N" org merge TQ --into HG
expect "merge without --on" 2 "" \
"cdsync: --on DATE is required: the day the change takes effect
Try 'cdsync org merge --help'."
run --home "$N" org merge TQ --into HG --on 31/06/2026
same "a day that does not exist: exit code" 2 "$rc"
same "a day that does not exist: names the option" 1 "$(grep -c '^cdsync: --on: ' "$T/err")"
run --home "$N" org rename
expect "rename without a code" 2 "" \
"cdsync: the code of the union is missing
Try 'cdsync org rename --help'."
run --home "$N" org split TQ
expect "a verb that does not exist" 2 "" \
"cdsync: 'split' is not something cdsync org can do
Try 'cdsync org --help'."
run --home "$N" org list --as-of 2026-13-01
same "list with a bad date: exit code" 2 "$rc"
same "nothing recorded by the mistakes" "$before" "$(counts "$HG")"

# ==== The province merger ============================================

run --home "$N" org merge TQ --into HG --on 01/07/2026 --note "Nghị quyết 202/2025/QH15"
expect "org merge" 0 \
"Recorded: from 01/07/2026 on, TQ is part of HG; its records count as those of HG." ""

run --home "$N" org list --as-of 01/07/2026
expect "org list after the merger" 0 \
"The tree of unions on 01/07/2026:

Code      Name                                 Level              Parent  Merged into
--------  -----------------------------------  -----------------  ------  ---------------
VN        Công đoàn Giáo dục Việt Nam          national union
  HG      Công đoàn Giáo dục tỉnh Hà Giang     upper-level union  VN
    TQ    Công đoàn Giáo dục tỉnh Tuyên Quang  upper-level union          HG (01/07/2026)
    HG-A  Trường Tiểu học Lũng Cú              grassroots union   HG
    TQ-A  Trường THCS Na Hang                  grassroots union   HG
Total: 5" ""
run --home "$N" org list --as-of 30/06/2026
same "the day before, the tree is as it was" \
	"  TQ      Công đoàn Giáo dục tỉnh Tuyên Quang  upper-level union  VN" \
	"$(grep '^  TQ ' "$T/out")"
run --home "$N" org list --json
same "org list --json: TQ, merged" 1 "$(grep -c '"merged_into": "HG"' "$T/out")"
same "org list --json: the day" 1 "$(grep -c '"merged_on": "2026-07-01"' "$T/out")"

"$CDSYNC" --home "$N" kpi --org HG --period 2025-2026 --as-of 31/08/2026 --json >"$T/hg1.json"
"$CDSYNC" --home "$N" kpi --period 2025-2026 --as-of 31/08/2026 --json >"$T/vn1.json"
same "HG after: both schools" "2/2" "$(fig "$T/hg1.json" P2.U.care)"
same "HG after: TQ-A's propaganda" "1/2" "$(fig "$T/hg1.json" P2.U.propaganda)"
same "HG after: pooled coverage" "4/5" "$(fig "$T/hg1.json" P2.U.coverage)"
# HG now holds every union of the nation: the same figures but for
# whose targets the national counts are
same "HG after: the pooled figures are the nation's" \
	"$(figures "$T/vn1.json" | grep -v '"applies"')" \
	"$(figures "$T/hg1.json" | grep -v '"applies"')"
same "VN: every figure kept" "$(figures "$T/vn0.json")" "$(figures "$T/vn1.json")"
run --home "$N" kpi --org HG --period 2025-2026 --as-of 30/06/2026 --json
same "HG with --as-of before the merger: its own still" "$(figures "$T/hg0.json")" \
	"$(figures "$T/out")"
run --home "$N" kpi --org TQ --period 2025-2026 --as-of 31/08/2026
expect "kpi of the merged province" 1 "" \
"cdsync: TQ was merged into HG on 01/07/2026: its records count as those of HG (ask for HG, or for a day before the merger)"
run --home "$N" kpi --org TQ --period 2025-2026
same "kpi without --as-of follows today's tree" 1 "$rc"

# ==== A change from a union merged away is ignored, and says why =====

must --home "$TQ" org rename TQ-A --name "Trường THCS Na Hang mới" --on 15/07/2026
must --home "$TQ" export --out "$T/usb-tq"
must --home "$N" import "$T/usb-tq"
run --home "$N" org changes
expect "org changes" 0 \
"Id        Date        Change  Union  New name, parent or unit  Decided by  Status
--------  ----------  ------  -----  ------------------------  ----------  $(printf '%0.s-' $(seq 1 129))
<id>  01/07/2026  merger  TQ     HG                        VN          ✓ counts
<id>  15/07/2026  rename  TQ-A   Trường THCS Na Hang mới   TQ          ✗ ignored: TQ may not rename TQ-A: it is neither the national union, nor above it in the tree on 15/07/2026, nor that unit itself
Total: 2 (1 ignored)" ""
run --home "$N" org changes --json
same "org changes --json: the note" 1 \
	"$(grep -c '"note": "Nghị quyết 202/2025/QH15"' "$T/out")"
same "org changes --json: one ignored" 1 "$(grep -c '"applied": false' "$T/out")"
run --home "$N" org list --as-of 31/08/2026
same "the ignored rename changes no name" 1 "$(grep -c 'Trường THCS Na Hang  ' "$T/out")"
# at the province, the rename counts: it does not know of the merger
run --home "$TQ" org list --as-of 31/08/2026
same "at TQ the rename counts" 1 "$(grep -c 'TQ-A  Trường THCS Na Hang mới' "$T/out")"

# ==== --help everywhere ==============================================

help_ok() {
	run "$@" --help
	if [ "$rc" -eq 0 ] && head -n 1 "$T/out" | grep -q '^Usage: cdsync'; then
		ok
	else
		bad "cdsync $* --help (exit $rc)"
	fi
}
help_ok org
for v in rename move merge list changes; do
	help_ok org "$v"
done
run kpi --help
same "kpi --help names the tree" 1 \
	"$(tr -s ' \n' '  ' <"$T/out" | grep -c 'under the tree of unions as it was on this day')"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

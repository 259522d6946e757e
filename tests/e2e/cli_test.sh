#!/usr/bin/env bash
# cli_test.sh -- end-to-end test of the `cdsync` command line, run as a
# user runs it: a fresh home in a temporary directory, English messages
# (LANG=en), exact outputs compared.
#
# Run by ctest (tests/CMakeLists.txt) with CDSYNC_BIN_DIR set to where
# `cdsync` is; by hand:
#   CDSYNC_BIN_DIR=build/bin LANG=en bash tests/e2e/cli_test.sh
# Ids are random: outputs are compared with every id replaced by <id>
# (short, 8 hex digits) or <fullid> (32 hex digits).
set -euo pipefail

BIN_DIR=${CDSYNC_BIN_DIR:?set CDSYNC_BIN_DIR to the directory of cdsync}
CDSYNC="$BIN_DIR/cdsync"
SRC_DIR=${CDSYNC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export LANG=en LANGUAGE= LC_ALL=

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export CDSYNC_HOME="$T/home"
# Every node's secret keys are sealed under a passphrase; scripts give it
# here (a person types it when a command needs the keys).
export CDSYNC_PASSPHRASE="mat-khau-thu-nghiem"

passed=0
failed=0

# run ARGS...: runs cdsync; its stdout, stderr and exit code land in
# $T/out, $T/err and $rc.
run() {
	set +e
	"$CDSYNC" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}

# The ids of a text as <fullid> (32 hex digits) and <id> (the short
# form, 8 hex digits).
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

# same NAME EXPECTED ACTUAL
same() {
	if [ "$2" == "$3" ]; then
		ok
	else
		bad "$1"
		diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$3") >&2 || true
	fi
}

# expect NAME RC STDOUT STDERR: checks the last run (ids normalised).
expect() {
	same "$1: exit code" "$2" "$rc"
	same "$1: output" "$3" "$(ids <"$T/out")"
	same "$1: messages" "$4" "$(ids <"$T/err")"
}

# shortid: the first short id in the last output.
shortid() {
	grep -oE '\b[0-9a-f]{8}\b' "$T/out" | head -n 1
}

# ==== Before init ======================================================

run member list
expect "no store yet" 1 "" \
"cdsync: there is no cdsync store at $T/home/store.db yet
Set this computer up first, for example:
  cdsync init --role school --org CODE --name \"NAME OF THE UNION\"
or give the right place with --home DIR."

# ==== init =============================================================

run init --role school --org TEST-SCHOOL \
	--name "Công đoàn Trường Tiểu học Hoa Ban" --parent TEST-DISTRICT
expect "init" 0 \
"This computer is now the school node of Công đoàn Trường Tiểu học Hoa Ban (TEST-SCHOOL).
Its data is kept in $T/home/store.db." ""
same "home is private" 700 "$(stat -c %a "$T/home")"

run init --role school --org OTHER --name "Other"
same "init twice: exit code" 1 "$rc"
same "init twice: message prefix" "cdsync: " "$(head -c 8 "$T/err")"

run init --role district --org X --name Y
expect "init: bad role" 2 "" \
"cdsync: --role 'district': write school, hub, national or client
Try 'cdsync init --help'."

# ==== Members ==========================================================

run member add --code GV001 --name "Nguyễn Thị Hoa" --sex female \
	--born 1985 --job teacher --joined 01/09/2010
expect "member add" 0 "Added member <id>: Nguyễn Thị Hoa, GV001" ""

run member add --code GV002 --name "Trần Văn Nam" --sex male --born 1979 \
	--job teacher --joined 2005-09-05
expect "member add (ISO date)" 0 "Added member <id>: Trần Văn Nam, GV002" ""

run member edit GV002 --job manager
expect "member edit" 0 "Saved member <id>: Trần Văn Nam, GV002" ""

run member list
expect "member list" 0 \
"Id        Member code  Full name       Birth year  Job      Joined
--------  -----------  --------------  ----------  -------  ----------
<id>  GV001        Nguyễn Thị Hoa        1985  teacher  01/09/2010
<id>  GV002        Trần Văn Nam          1979  manager  05/09/2005
Total: 2" ""

run member leave GV002 --on 31/08/2025
expect "member leave" 0 "Trần Văn Nam left the union on 31/08/2025." ""

run member list
same "member list after leave" "Total: 1" "$(tail -n 1 "$T/out")"
run member list --all
same "member list --all" "Total: 2" "$(tail -n 1 "$T/out")"

run member leave GV002 --on 31/13/2025
expect "member leave: bad date" 2 "" \
"cdsync: --on: '31/13/2025' is not a real date (there is no month 13)"

# A spreadsheet as Excel saves it: BOM, CRLF, a quoted comma, and a name
# in decomposed Unicode (NFD) that must be stored composed (NFC).
nfd_name=$(printf 'Le\xcc\x82 Thi\xcc\xa3 Ngo\xcc\xa3c')
printf '\xef\xbb\xbfM\xc3\xa3 \xc4\x91o\xc3\xa0n vi\xc3\xaan,H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan,Gi\xe1\xbb\x9bi t\xc3\xadnh,N\xc4\x83m sinh,Ghi ch\xc3\xba\r\n' >"$T/members.csv"
printf 'GV003,%s,N\xe1\xbb\xaf,1990,"T\xe1\xbb\x95 To\xc3\xa1n, Tin"\r\n' "$nfd_name" >>"$T/members.csv"
printf 'GV004,Ph\xe1\xba\xa1m V\xc4\x83n B\xc3\xacnh,Nam,1988,\r\n' >>"$T/members.csv"

run member import "$T/members.csv"
expect "member import" 0 \
"Lines read: 2. Added: 2, updated: 0, unchanged: 0, bad: 0." ""

run member import "$T/members.csv"
expect "member import again" 0 \
"Lines read: 2. Added: 0, updated: 0, unchanged: 2, bad: 0." ""

run member show GV003 --json
same "imported name is NFC" 1 \
	"$(grep -c '"full_name": "Lê Thị Ngọc"' "$T/out" || true)"

run member list --all --json
members_before=$(grep -c '"full_name"' "$T/out" || true)
same "members after import" 4 "$members_before"

printf 'Code,Full name,Birth year\nGV005,Đỗ Thị Mai,1991\nGV006,Vũ Văn Hải,19x5\n' \
	>"$T/bad.csv"
run member import "$T/bad.csv"
same "bad import: exit code" 1 "$rc"
same "bad import: output" "" "$(cat "$T/out")"
same "bad import: messages" \
"line 3: column 'Birth year': '19x5' is not a whole number
cdsync: nothing was imported: 1 line(s) of $T/bad.csv are wrong. Correct them and import again, or give --skip-bad to import the other lines." \
	"$(cat "$T/err")"
run member list --all --json
same "bad import: no member added" "$members_before" \
	"$(grep -c '"full_name"' "$T/out" || true)"

# ==== Activities =======================================================

run activity list --json
acts_before=$(cat "$T/out")
same "no activity yet" "[]" "$acts_before"

run activity add --date 20/01/2026 --title "Tết Sum vầy" --kind care \
	--programme tet_sum_vay --cost 1.500.000 --funding union \
	--benefit GV001=500.000 --benefit GV003=500.000
expect "activity add" 0 \
"Added activity <id>: 20/01/2026, Tết Sum vầy, care
Beneficiaries: 2, amount in all: 1.000.000 đ" ""
act=$(shortid)

run activity show "$act"
expect "activity show" 0 \
"activity <id>
  Union:                  Công đoàn Trường Tiểu học Hoa Ban (<id>)
  Date:                   20/01/2026
  Title:                  Tết Sum vầy
  Kind:                   care
  Programme:              Tết Sum vầy (Tet reunion)
  Key task served:        
  Innovative way of care: no
  Cost:                   1.500.000 đ
  Funding:                union fund
  Participants:           
  Note:                   
  Id:                     <fullid>

Beneficiaries: 2
Member code  Full name       Amount     Form
-----------  --------------  ---------  ----
GV003        Lê Thị Ngọc     500.000 đ
GV001        Nguyễn Thị Hoa  500.000 đ
Amount in all: 1.000.000 đ" ""

run activity list --json
acts_one=$(cat "$T/out")

run activity add --date 21/01/2026 --title X --kind care --colour red
expect "unknown option" 2 "" \
"cdsync: unknown option '--colour'
Try 'cdsync activity add --help'."

run activity add --date 31/02/2025 --title "Hội thao" --kind culture
expect "bad date" 2 "" \
"cdsync: --date: '31/02/2025' is not a real date (February 2025 has 28 days)"
run activity list --json
same "bad date: nothing recorded" "$acts_one" "$(cat "$T/out")"

run activity add --date 02/02/2026 --title "Hội thao" --kind culture \
	--cost 1.50.000
expect "bad money" 2 "" \
"cdsync: --cost: '1.50.000': separators must split the digits in groups of 3, as in 1.234.567 (no decimals)"

run activity add --date 02/02/2026 --title "Hội thao" --kind culture \
	--benefit GV001 --benefit GV999=100.000
expect "unknown beneficiary: rolled back" 1 "" \
"cdsync: --benefit: no member matches 'GV999'
cdsync: nothing was recorded"
run activity list --json
same "rolled back: nothing recorded" "$acts_one" "$(cat "$T/out")"

run activity add --title "Hội thao" --kind culture
expect "missing required field" 2 "" \
"cdsync: Date is required: give --date
Try 'cdsync activity add --help'."

run activity add --date 15/11/2025 --title "Tập huấn pháp luật" \
	--kind propaganda --innovative
expect "activity add (flag)" 0 \
"Added activity <id>: 15/11/2025, Tập huấn pháp luật, legal and policy propaganda" ""

run activity list --period 2025-2026
expect "activity list" 0 \
"Id        Date        Title               Kind                         Cost
--------  ----------  ------------------  ---------------------------  -----------
<id>  15/11/2025  Tập huấn pháp luật  legal and policy propaganda          0 đ
<id>  20/01/2026  Tết Sum vầy         care                         1.500.000 đ
Total: 2" ""

run activity list --period 2025-2026 --kind care --json
same "activity list --kind --json" 1 "$(grep -c '"held_on"' "$T/out")"

run activity list --period 2025/26
expect "bad period" 2 "" \
"cdsync: '2025/26' is not a period: use 2025-2026 (school year), 2025 (year), 2025-Q3 (quarter) or 2023-2028 (term)
Try 'cdsync activity list --help'."

# ==== Legal consultations ==============================================

run legal open --topic "Lương làm thêm giờ" --member GV001 --date 05/03/2026
expect "legal open" 0 \
"Added legal case <id>: 05/03/2026, Lương làm thêm giờ, open" ""
case1=$(shortid)

run legal open --topic "Chế độ thai sản" --member GV003 --date 2026-03-10
case2=$(shortid)

run legal update "$case1" --status advised --date 12/03/2026 \
	--note "Đã giải thích"
expect "legal update" 0 \
"Saved legal case <id>: 05/03/2026, Lương làm thêm giờ, advised" ""

run legal update "$case2" --status resolved --date 20/03/2026
expect "legal update resolved" 0 \
"Saved legal case <id>: 10/03/2026, Chế độ thai sản, resolved" ""

run legal update "$case2" --status lost
expect "legal update: bad status" 2 "" \
"cdsync: --status: 'lost' is not one of: open, advised, escalated, resolved"

run legal list --open
expect "legal list --open" 0 \
"Id        Opened      Topic               Member          Status
--------  ----------  ------------------  --------------  -------
<id>  05/03/2026  Lương làm thêm giờ  Nguyễn Thị Hoa  advised
Total: 1" ""

# ==== KPIs =============================================================

run kpi --period 2025-2026
same "kpi: exit code" 0 "$rc"
same "kpi: heading" \
	"KPIs of Công đoàn Trường Tiểu học Hoa Ban (TEST-SCHOOL) for 2025-2026" \
	"$(head -n 1 "$T/out")"
same "kpi: window" "The figures cover 01/09/2025 – 31/08/2026." \
	"$(tail -n 1 "$T/out")"
same "kpi: care" 1 \
	"$(grep -cE '^P2\.U\.care +100\.0% \(1/1\) +100% +✓ met ' "$T/out" || true)"
same "kpi: coverage" 1 \
	"$(grep -cE '^P2\.U\.coverage +66\.7% \(2/3\) +≥ 90% +✗ not met ' "$T/out" || true)"

same "kpi: national KPI not for a school" 1 \
	"$(grep -cE '^P2\.N\.training +0 +≥ [0-9]+ +– not for this level ' "$T/out" || true)"

run kpi --period 2025-2026 --json
same "kpi --json: exit code" 0 "$rc"
same "kpi --json: window" 1 \
	"$(grep -c '"from": "2025-09-01"' "$T/out" || true)"
same "kpi --json: care per member" 1 \
	"$(grep -c '"care_per_member": 500000' "$T/out" || true)"
same "kpi --json: care activities" 1 \
	"$(grep -c '"care": 1' "$T/out" || true)"

# ==== Changing beneficiaries, care not yet given, deleting ============

run activity edit "$act" --unbenefit GV003 --benefit GV004=200.000
expect "activity edit beneficiaries" 0 \
"Saved activity <id>: 20/01/2026, Tết Sum vầy, care
Beneficiaries: 2, amount in all: 700.000 đ" ""

run member uncared --period 2025-2026
expect "member uncared" 0 \
"Members who have not benefited from care in 2025-2026 (01/09/2025 – 31/08/2026):
Id        Member code  Full name    Birth year  Job  Joined
--------  -----------  -----------  ----------  ---  ------
<id>  GV003        Lê Thị Ngọc        1990
Total: 1" ""

run activity edit "$act"
expect "activity edit without options" 2 "" \
"cdsync: nothing to change: give the fields to change as options
Try 'cdsync activity edit --help'."

run activity delete "$act"
expect "activity delete" 0 \
"Deleted activity <id>: 20/01/2026, Tết Sum vầy, care" ""
run activity list --json
same "activity delete: one left" 1 "$(grep -c '"held_on"' "$T/out")"

run member delete GV001
same "member delete refused: exit code" 1 "$rc"

printf 'Code,Full name,Birth year\nGV005,Đỗ Thị Mai,1991\nGV006,Vũ Văn Hải,19x5\n' \
	>"$T/bad.csv"
run member import "$T/bad.csv" --skip-bad
expect "import --skip-bad" 0 \
"Lines read: 2. Added: 1, updated: 0, unchanged: 0, bad: 1." \
"line 3: column 'Birth year': '19x5' is not a whole number"

# ==== The other kinds ==================================================

run council add --member GV004 --council salary --from 01/09/2025
expect "council add" 0 \
"Added council seat <id>: salary council, Phạm Văn Bình, 01/09/2025" ""
run plan add --year 2025-2026 --title "Kế hoạch năm học 2025-2026"
expect "plan add" 0 \
"Added plan <id>: 2025-2026, Kế hoạch năm học 2025-2026" ""
run plan list --period 2024-2025
expect "plan list: other year" 0 "Nothing found." ""
run kpi --period 2025-2026
same "kpi: councils and plan" 2 \
	"$(grep -cE '^(P2\.U\.councils|P3\.plan) +100\.0% \(1/1\) +100% +✓ met ' "$T/out" || true)"

run kpi
expect "kpi without period" 2 "" \
"cdsync: --period is required, e.g. --period 2025-2026
Try 'cdsync kpi --help'."

# ==== --home after the verb ============================================

set +e
env -u CDSYNC_HOME HOME="$T/nowhere" "$CDSYNC" member list --home "$T/home" \
	>"$T/out" 2>"$T/err"
rc=$?
set -e
same "--home after the verb: exit code" 0 "$rc"
same "--home after the verb" "Total: 4" "$(tail -n 1 "$T/out")"

# ==== Vietnamese =======================================================

# Checked only when the translations exist (po/vi.po, compiled by the
# build into share/locale); until someone writes them this is skipped.
mo="$BIN_DIR/../share/locale/vi/LC_MESSAGES/cdsync.mo"
if [ -f "$SRC_DIR/po/vi.po" ] && [ -f "$mo" ] &&
	grep -A1 -F "msgid \"unknown option '--%.*s'\"" "$SRC_DIR/po/vi.po" |
	grep -q '^msgstr "..*"'; then
	set +e
	LANG=vi "$CDSYNC" activity add --colour red >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	same "vi: exit code" 2 "$rc"
	if grep -q "unknown option" "$T/err" ||
		! LC_ALL=C grep -q $'[\x80-\xff]' "$T/err"; then
		bad "vi: message is not in Vietnamese: $(cat "$T/err")"
	else
		ok
	fi
else
	echo "skipped: Vietnamese messages (no translation of po/vi.po yet)"
fi

# ==== --help everywhere ================================================

help_ok() {
	run "$@" --help
	if [ "$rc" -eq 0 ] && head -n 1 "$T/out" | grep -q '^Usage: cdsync'; then
		ok
	else
		bad "cdsync $* --help (exit $rc)"
	fi
}

help_ok
help_ok init
help_ok kpi
help_ok changes
for noun in member plan task activity legal council initiative award \
	agreement; do
	help_ok "$noun"
	for verb in add list show edit delete; do
		help_ok "$noun" "$verb"
	done
done
help_ok member import
help_ok member leave
help_ok member uncared
help_ok legal open
help_ok legal update
for v in keys export import status conflicts; do
	help_ok "$v"
done
help_ok peer
help_ok bundle
help_ok receipt
help_ok receipt check

# ==== Moving data on files =============================================

run export --out "$T/usb"
expect "export with nobody to send to" 1 "" \
"cdsync: this node has nobody to send to: add the upper hub's key with 'cdsync peer add FILE --upstream'"
run conflicts
expect "conflicts when there are none" 0 "Nothing to look at: no conflicts." ""
run keys --out "$T/school.pub"
same "keys --out" 0 "$rc"
same "the key file" "cdsync public key v1" "$(head -1 "$T/school.pub")"
run peer add "$T/school.pub"
expect "peer add of this node's own key" 1 "" \
"cdsync: $T/school.pub: that is this node's own key"
printf 'hello\n' >"$T/bad.pub"
run peer add "$T/bad.pub"
expect "peer add of a file that is not a key" 1 "" \
"cdsync: $T/bad.pub: not a cdsync public key (the first line must be 'cdsync public key v1')"
# a district hub in a home of its own
H="$T/district"
"$CDSYNC" --home "$H" init --role hub --org HG-VX --name "Huyện Vị Xuyên" >/dev/null
"$CDSYNC" --home "$H" keys --out "$T/district.pub" >/dev/null
run peer add "$T/district.pub" --upstream
expect "peer add --upstream" 0 \
"Added $T/district.pub: this node now sends its bundles to it." ""
run export --out "$T/usb"
same "export: exit" 0 "$rc"
same "export: one file" 1 "$(ls "$T/usb" | wc -l)"
run export --out "$T/usb"
expect "export again" 0 "Nothing new was recorded since the last bundle.
Bundle files written to $T/usb: 0." ""
f=$(ls "$T/usb"/*.cdsb)
run --home "$H" import "$f"
same "import from an unknown node: exit" 1 "$rc"
"$CDSYNC" --home "$H" peer add "$T/school.pub" >/dev/null
run --home "$H" bundle show "$f" --json
same "bundle show --json: exit" 0 "$rc"
same "bundle show --json: readable" 1 "$(grep -c '"readable": true' "$T/out")"
run --home "$H" import "$T/usb"
same "import a folder: exit" 0 "$rc"
run --home "$H" import "$f"
expect "import again" 0 "$(ids <<<"$f"): bundle 1 of node TEST-SCHOOL (<id>) was merged before; nothing to do" ""
run --home "$H" status --json
same "status --json: exit" 0 "$rc"
head -c 100 "$f" >"$T/cut.cdsb"
run --home "$H" import "$T/cut.cdsb"
same "import a truncated bundle: exit" 1 "$rc"

# ==== Enrolment and the catalog ========================================

N="$T/nat" D2="$T/dis2" D3="$T/dis3"
fpr() { grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' "$T/out" | head -1; }
run --home "$N" init --role national --org VN --name "Công đoàn Giáo dục Việt Nam"
run --home "$N" catalog show
same "catalog show at the root: exit" 0 "$rc"
root=$(fpr)
same "catalog show at the root: one union" 1 "$(grep -c '^VN ' "$T/out")"
run --home "$D2" init --role hub --org TQ-HY --name "Công đoàn Giáo dục huyện Hàm Yên" --parent VN
run --home "$D2" enrol request --out "$T/d2.cdsq"
fp=$(fpr)
expect "enrol request" 0 "Enrolment request written to $T/d2.cdsq.
Fingerprint of this node: $fp
Give the file to the union above this one and read the fingerprint out to its operator by phone." ""
run --home "$N" enrol approve "$T/d2.cdsq" --out "$T/d2.cdsa"
expect "enrol approve without the fingerprint" 2 \
"Request from TQ-HY (Công đoàn Giáo dục huyện Hàm Yên), a hub node, to be enrolled under VN." \
"cdsync: --fingerprint (as the union read it out) and --out FILE are required
Try 'cdsync enrol approve --help'."
run --home "$N" enrol approve "$T/d2.cdsq" --fingerprint AAAA-AAAA-AAAA-AAAA --out "$T/d2.cdsa"
expect "enrol approve: a misheard fingerprint" 1 "" \
"cdsync: $T/d2.cdsq: the fingerprint does not match: the request's keys have $fp; ask the union that sent it to read its own out again"
same "enrol approve: nothing written" 0 "$(ls "$T" | grep -c 'd2.cdsa')"
run --home "$N" enrol approve "$T/d2.cdsq" --fingerprint "$fp" --out "$T/d2.cdsa"
expect "enrol approve" 0 "Enrolled TQ-HY (Công đoàn Giáo dục huyện Hàm Yên) as a hub node under this union.
The catalog for it is in $T/d2.cdsa.  Its operator takes it in with 'cdsync catalog import $T/d2.cdsa --root-fingerprint $root'." ""
run --home "$D2" catalog import "$T/d2.cdsa" --root-fingerprint AAAA-AAAA-AAAA-AAAA
expect "catalog import: a wrong root fingerprint" 1 "" \
"cdsync: $T/d2.cdsa: the national root's fingerprint is $root, not the one given"
run --home "$D2" catalog import "$T/d2.cdsa" --root-fingerprint "$root"
expect "catalog import" 0 "$T/d2.cdsa: catalog taken in." ""
run --home "$D2" catalog show --json
same "catalog show --json: two unions" 2 "$(grep -c '"org"' "$T/out")"
run --home "$N" catalog export --out "$T/old.cdsa"
same "catalog export" 0 "$rc"
run --home "$D3" init --role hub --org TQ-YS --name "Công đoàn Giáo dục huyện Yên Sơn" --parent VN
run --home "$D3" enrol request --out "$T/d3.cdsq"
fp=$(fpr)
run --home "$N" enrol approve "$T/d3.cdsq" --fingerprint "$fp" --out "$T/d3.cdsa"
run --home "$D2" catalog import "$T/d3.cdsa"
expect "catalog import: a newer edition" 0 "$T/d3.cdsa: catalog taken in." ""
run --home "$D2" catalog import "$T/old.cdsa"
same "catalog import: an older edition is refused" 1 "$rc"
same "catalog import: rollback message" 1 \
	"$(grep -c 'is edition 2, older than edition 3 this node has; it was not taken in' "$T/err")"
run --home "$N" enrol revoke TQ-HY --reason "mất máy"
expect "enrol revoke" 0 "The key of TQ-HY is revoked from now on: bundles that arrive signed with it are refused.  The catalog with the revocation goes out with the next 'cdsync export'." ""
run --home "$N" enrol revoke TQ-XX
expect "enrol revoke: not a child" 1 "" "cdsync: TQ-XX is not an enrolled child of this node (VN)"
run --home "$N" catalog show --json
same "catalog show: the revocation" 1 "$(grep -c '"reason": "mất máy"' "$T/out")"
run enrol approve "$T/d3.cdsq" --fingerprint "$fp" --out "$T/x.cdsa"
expect "enrol approve at a school" 1 "" "cdsync: a school node does not enrol others: its parent hub does"

# ==== The passphrase and a rotation ====================================
# (no terminal here: the passphrase comes from the environment or not at all)
run --home "$D3" catalog import "$T/d3.cdsa" --root-fingerprint "$root"
same "D3 enrolled" 0 "$rc"
CDSYNC_PASSPHRASE="mật khẩu sai lắm" run --home "$D3" enrol request --out "$T/x.cdsq"
expect "a wrong passphrase" 1 "" "cdsync: the passphrase is wrong: the keys of this node stay locked"
same "a wrong passphrase: nothing written" 0 "$(ls "$T" | grep -c 'x.cdsq')"
CDSYNC_PASSPHRASE= run --home "$D3" enrol request --out "$T/x.cdsq" </dev/null
expect "no passphrase" 1 "" "cdsync: this command needs the passphrase of this node's keys: type it on a terminal, or set CDSYNC_PASSPHRASE
cdsync: this node's secret keys are locked: its passphrase is needed"
CDSYNC_PASSPHRASE= run --home "$D3" catalog show
same "no passphrase needed to read the catalog" 0 "$rc"
CDSYNC_NEW_PASSPHRASE="ngắn" run --home "$D3" keys passphrase
expect "keys passphrase: too short" 1 "" "cdsync: the passphrase is too short: at least 8 characters"
CDSYNC_NEW_PASSPHRASE="mật khẩu mới của huyện" run --home "$D3" keys passphrase
expect "keys passphrase" 0 "The passphrase of this node's keys is changed." ""
run --home "$D3" keys rotate
expect "keys rotate: the old passphrase no longer opens" 1 "" "cdsync: the passphrase is wrong: the keys of this node stay locked"
CDSYNC_PASSPHRASE="mật khẩu mới của huyện" run --home "$D3" keys rotate
same "keys rotate" 0 "$rc"
same "keys rotate: the new fingerprint" 1 "$(grep -c 'This node has new keys; their fingerprint is' "$T/out")"
mkdir -p "$T/rot"
CDSYNC_PASSPHRASE="mật khẩu mới của huyện" run --home "$D3" export --out "$T/rot"
same "export writes the hand-over" 1 "$(ls "$T/rot" | grep -c '^handover-TQ-YS-000001.cdsh$')"
run --home "$N" import "$T/rot"
expect "the parent takes the hand-over, then the bundle the new key signed" 0 "$T/rot/handover-TQ-YS-000001.cdsh: the new keys of a child node are certified in this node's sheet of the catalog.
$T/rot/TQ-YS-<id>-000001.cdsb: merged 1 change(s)." ""
run --home "$N" import "$T/rot/handover-TQ-YS-000001.cdsh"
expect "a hand-over twice" 0 "$T/rot/handover-TQ-YS-000001.cdsh: the new key of node …<id> is in the catalog already; nothing to do" ""

# ==== Pairing a phone ===================================================
P="$T/phone"
run --home "$P" init --role client --org TQ-YS --name "Công đoàn Giáo dục huyện Yên Sơn"
same "init --role client" 0 "$rc"
run --home "$P" pair code
expect "pair code at a client" 1 "" "cdsync: a client device does not pair others: its school node does"
CDSYNC_PASSPHRASE="mật khẩu mới của huyện" run --home "$D3" pair code --minutes 5
same "pair code" 0 "$rc"
code=$(grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' "$T/out")
same "pair code: read out for 5 minutes" 1 "$(grep -c 'it works once, for 5 minutes' "$T/out")"
run --home "$P" pair request --code "${code:0:9}" --device "Điện thoại" --out "$T/p.cdsp"
expect "pair request: a code too short" 1 "" "cdsync: '${code:0:9}' is not a pairing code: it has 12 letters and digits, like K7QM-3XRT-9PWA"
run --home "$P" pair request --code "$(tr 'A-Z' 'a-z' <<<"$code")" --device "Điện thoại cô Mỷ" --out "$T/p.cdsp"
expect "pair request (the code typed in lower case)" 0 "Pairing request written to $T/p.cdsp; give it to the school node." ""
CDSYNC_PASSPHRASE="mật khẩu mới của huyện" run --home "$D3" pair approve "$T/p.cdsp" --out "$T/p.cdsc"
same "pair approve" 0 "$rc"
CDSYNC_PASSPHRASE="mật khẩu mới của huyện" run --home "$D3" pair approve "$T/p.cdsp" --out "$T/p2.cdsc"
expect "pair approve: a code works once" 1 "" "cdsync: $T/p.cdsp: no live pairing code of this node matches it: the code was mistyped, used already or has expired; show a new one with 'cdsync pair code'"
run --home "$P" pair finish "$T/p.cdsc"
same "pair finish" 0 "$rc"
run --home "$P" pair list
same "the phone knows its node" 1 "$(grep -c 'This device is paired with node' "$T/out")"
run --home "$D3" pair list --json
same "the node lists the phone" 1 "$(grep -c '"device": "Điện thoại cô Mỷ"' "$T/out")"
run --home "$D3" pair revoke "Điện thoại cô Mỷ"
expect "pair revoke" 0 "The device Điện thoại cô Mỷ is unpaired: this node no longer syncs with it." ""
run --home "$D3" pair revoke "Điện thoại cô Mỷ"
expect "pair revoke twice" 1 "" "cdsync: no paired device is called or numbered Điện thoại cô Mỷ"

# ==== Receipts: back down on the stick =================================
# A tree of its own: national hub, district hub, school, on enrolment.
RN="$T/r-nat" RD="$T/r-dis" RS="$T/r-sch"
run --home "$RN" init --role national --org VN --name "Công đoàn Giáo dục Việt Nam"
run --home "$RN" catalog show
rroot=$(fpr)
run --home "$RD" init --role hub --org HG-VX --name "Công đoàn Giáo dục huyện Vị Xuyên" --parent VN
run --home "$RD" enrol request --out "$T/rd.cdsq"
fp=$(fpr)
run --home "$RN" enrol approve "$T/rd.cdsq" --fingerprint "$fp" --out "$T/rd.cdsa"
run --home "$RD" catalog import "$T/rd.cdsa" --root-fingerprint "$rroot"
run --home "$RS" init --role school --org HG-VX-TH-LUNGCU --name "Trường Tiểu học Lũng Cú" --parent HG-VX
run --home "$RS" enrol request --out "$T/rs.cdsq"
fp=$(fpr)
run --home "$RD" enrol approve "$T/rs.cdsq" --fingerprint "$fp" --out "$T/rs.cdsa"
run --home "$RS" catalog import "$T/rs.cdsa" --root-fingerprint "$rroot"
same "receipts: the school is enrolled" 0 "$rc"
run --home "$RS" activity add --date 20/01/2026 --title "Tết Sum vầy" --kind care
mkdir -p "$T/stick" "$T/stick-up"
run --home "$RS" export --out "$T/stick"
same "receipts: the school exports" 0 "$rc"
sb=$(cd "$T/stick" && ls HG-VX-TH-LUNGCU-*-000001.cdsb)
bytes=$(stat -c %s "$T/stick/$sb")
run --home "$RS" status
same "status: one bundle waiting to go up" 1 "$(grep -cx "Waiting to go up: 1 bundle(s), $bytes bytes" "$T/out")"
same "status: no receipt yet" 1 "$(grep -cx 'Last receipt: none yet' "$T/out")"
run --home "$RD" import "$T/stick"
same "receipts: the district merges the school's bundle" 0 "$rc"
run --home "$RD" export --out "$T/stick"
same "receipts: the district's export writes the receipt" 1 "$(ls "$T/stick" | grep -cx 'receipt-HG-VX-TH-LUNGCU-000001.cdsr')"
same "receipts: and beside it the inclusion proof of the bundle" 1 "$(ls "$T/stick" | grep -cx 'receipt-HG-VX-TH-LUNGCU-000001.tlog-proof')"
same "receipts: the proof is a tlog-proof of leaf 0" "c2sp.org/tlog-proof@v1" "$(head -n 1 "$T/stick/receipt-HG-VX-TH-LUNGCU-000001.tlog-proof")"
same "receipts: the proof's index line" 1 "$(grep -cx 'index 0' "$T/stick/receipt-HG-VX-TH-LUNGCU-000001.tlog-proof")"
# exported again unchanged, the receipt and its proof are left alone
pino=$(stat -c %i "$T/stick/receipt-HG-VX-TH-LUNGCU-000001.tlog-proof")
rino=$(stat -c %i "$T/stick/receipt-HG-VX-TH-LUNGCU-000001.cdsr")
run --home "$RD" export --out "$T/stick"
same "receipts: a second export leaves the proof alone" "$pino" "$(stat -c %i "$T/stick/receipt-HG-VX-TH-LUNGCU-000001.tlog-proof")"
same "receipts: a second export leaves the receipt alone" "$rino" "$(stat -c %i "$T/stick/receipt-HG-VX-TH-LUNGCU-000001.cdsr")"
run --home "$RD" status
same "status at the district: its bundle and the school's to go up" 1 "$(grep -c '^Waiting to go up: 2 bundle(s), ' "$T/out")"
# the stick back at the school: the receipt is kept; the district's own
# bundle on it is for others, the school's own is known
run --home "$RS" import "$T/stick"
same "receipts: import at the school: exit" 0 "$rc"
same "receipts: import at the school: messages" "" "$(cat "$T/err")"
same "receipts: the receipt is kept" 1 "$(grep -c "^$T/stick/receipt-HG-VX-TH-LUNGCU-000001.cdsr: receipt kept: HG-VX merged bundle 1 of HG-VX-TH-LUNGCU (it first saw it on [0-9/]* [0-9:]*; leaf 0 in the hub's log)\.$" "$T/out")"
same "receipts: the district's bundle is skipped" 1 "$(grep -c '^.*/HG-VX-[0-9a-f]*-000001.cdsb: not addressed to this node; skipped: it travels to other nodes$' "$T/out")"
run --home "$RS" status
same "status: nothing waits to go up" 1 "$(grep -cx 'Waiting to go up: 0 bundle(s), 0 bytes' "$T/out")"
same "status: the last receipt" 1 "$(grep -cE '^Last receipt: [0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2} from HG-VX$' "$T/out")"
run --home "$RS" status --json
same "status --json: outbox" 1 "$(grep -c '"outbox": 0,' "$T/out")"
same "status --json: from the district" 1 "$(grep -c '"last_receipt_from": "HG-VX"' "$T/out")"
run --home "$RS" import "$T/stick/receipt-HG-VX-TH-LUNGCU-000001.cdsr"
expect "a receipt twice" 0 "$T/stick/receipt-HG-VX-TH-LUNGCU-000001.cdsr: the receipt of HG-VX for bundle 1 of HG-VX-TH-LUNGCU was kept before; nothing to do" ""
# a damaged receipt, named on the command line, is refused
head -c 150 "$T/stick/receipt-HG-VX-TH-LUNGCU-000001.cdsr" >"$T/cut.cdsr"
run --home "$RS" import "$T/cut.cdsr"
expect "a cut receipt" 1 "" "cdsync: $T/cut.cdsr: receipt offset 134: runs past the end"
# the receipt checked offline with the proof beside it: the district's key
# and the origin of its log from the school's catalog
R1="$T/stick/receipt-HG-VX-TH-LUNGCU-000001.cdsr"
P1="$T/stick/receipt-HG-VX-TH-LUNGCU-000001.tlog-proof"
run --home "$RS" receipt check "$R1"
expect "receipt check" 0 "$R1: bundle 1 of HG-VX-TH-LUNGCU is leaf 0 of the log of HG-VX, checkpoint of size 1." ""
run --home "$RS" receipt check "$R1" "$P1" --json
same "receipt check --json: exit" 0 "$rc"
same "receipt check --json: the leaf" 1 "$(grep -c '"leaf": 0,' "$T/out")"
same "receipt check --json: the receipt's leaf" 1 "$(grep -c '"receipt_leaf": 0,' "$T/out")"
same "receipt check --json: the tree" 1 "$(grep -c '"tree_size": 1,' "$T/out")"
same "receipt check --json: the hub" 1 "$(grep -c '"hub_org": "HG-VX",' "$T/out")"
# one byte of the proof's index line changed: the check fails and says why
sed 's/^index 0$/index 1/' "$P1" >"$T/bad.tlog-proof"
same "receipt check: the proof is changed" 1 "$(cmp -l "$P1" "$T/bad.tlog-proof" | wc -l)"
run --home "$RS" receipt check "$R1" "$T/bad.tlog-proof"
expect "receipt check with a changed index" 1 "" "cdsync: $T/bad.tlog-proof: inclusion proof: leaf 1 is past the end of the tree of size 1"
# a proof that is not of this receipt's bundle, a missing one, a receipt
# whose hub the store does not know
run --home "$RS" receipt check "$T/cut.cdsr" "$P1"
expect "receipt check of a cut receipt" 1 "" "cdsync: $T/cut.cdsr: receipt offset 134: runs past the end"
cp "$R1" "$T/lone.cdsr"
run --home "$RS" receipt check "$T/lone.cdsr"
expect "receipt check without a proof" 1 "" "cdsync: cannot open $T/lone.tlog-proof: No such file or directory"
run receipt check "$R1"
expect "receipt check where the hub is not known" 1 "" "cdsync: $R1: signed by the hub <fullid>, which this store does not know: without its org code the origin of its log is not known here; take in a catalog that lists it"
run --home "$RS" receipt show "$R1"
expect "receipt: an unknown verb" 2 "" "cdsync: 'show' is not a verb of 'cdsync receipt'"
run --home "$RS" receipt check
same "receipt check without a receipt: usage" 2 "$rc"
# up to the national hub: the district's receipt is for the school, not
# for it; the national hub's receipts come back to the district
run --home "$RD" export --out "$T/stick-up"
run --home "$RN" import "$T/stick-up"
same "receipts: import at the national hub: exit" 0 "$rc"
same "receipts: the district's receipt is the national hub's voucher" 1 "$(grep -c "^$T/stick-up/receipt-HG-VX-TH-LUNGCU-000001.cdsr: kept as the voucher of HG-VX: it first saw bundle 1 of HG-VX-TH-LUNGCU on " "$T/out")"
run --home "$RN" export --out "$T/stick-up"
same "receipts: the national hub exports (nothing to seal)" 0 "$rc"
run --home "$RD" import "$T/stick-up"
same "receipts: import at the district: exit" 0 "$rc"
same "receipts: the district keeps two receipts" 2 "$(grep -c ': receipt kept: VN merged bundle 1 of ' "$T/out")"
run --home "$RD" receipt check "$T/stick-up/receipt-HG-VX-000001.cdsr"
same "receipt check at the district: the national hub's receipt" 0 "$rc"
same "receipt check at the district: what it says" 1 "$(grep -cE "^$T/stick-up/receipt-HG-VX-000001.cdsr: bundle 1 of HG-VX is leaf [01] of the log of VN, checkpoint of size 2\.$" "$T/out")"
run --home "$RD" status --json
same "status --json at the district: outbox" 1 "$(grep -c '"outbox": 0,' "$T/out")"
same "status --json at the district: from VN" 1 "$(grep -c '"last_receipt_from": "VN"' "$T/out")"

run --version
same "--version" 0 "$rc"

run changes --json
same "changes --json" 0 "$rc"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

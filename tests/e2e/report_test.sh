#!/usr/bin/env bash
# report_test.sh -- end-to-end test of `cdsync report`, run as a user runs
# it: seven nodes in temporary homes, built on enrolment alone (the
# national hub VN; the province hubs HG and TQ; schools HG-A, HG-B, HG-C
# under HG, TQ-D under TQ), a school year carried up on folders, HG-C
# enrolled but never sending.  English messages; CSV and JSON compared
# exactly, the HTML parsed and searched, the XLSX opened as a zip.
#
# Run by ctest (tests/CMakeLists.txt) with CDSYNC_BIN_DIR set; by hand:
#   CDSYNC_BIN_DIR=build/bin LANG=en bash tests/e2e/report_test.sh
set -euo pipefail

BIN_DIR=${CDSYNC_BIN_DIR:?set CDSYNC_BIN_DIR to the directory of cdsync}
CDSYNC="$BIN_DIR/cdsync"
# The checks read JSON, HTML, zip and SQLite with Python's standard
# library; without it the test is skipped (ctest: SKIP_RETURN_CODE 77).
if ! python3 -c 'import json, sqlite3, zipfile, html.parser' 2>/dev/null; then
	echo "report_test: skipped: python3 (json, sqlite3, zipfile) is missing"
	exit 77
fi
export LANG=en LANGUAGE= LC_ALL=
export CDSYNC_PASSPHRASE="mat-khau-thu-nghiem"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
N="$T/vn" HG="$T/hg" TQ="$T/tq" A="$T/a" B="$T/b" C="$T/c" D="$T/d"

passed=0
failed=0

run() {
	set +e
	"$CDSYNC" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}

must() {
	if ! "$CDSYNC" "$@" >"$T/must" 2>&1; then
		echo "FAIL: cdsync $*" >&2
		cat "$T/must" >&2
		exit 1
	fi
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

# yes NAME COMMAND...: the command must succeed.
yes() {
	local name=$1
	shift
	if "$@"; then ok; else bad "$name"; fi
}

fpr() {
	grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' | head -1
}

enrol() {
	local f
	f=$("$CDSYNC" --home "$1" enrol request --out "$T/req.cdsq" | fpr)
	must --home "$2" enrol approve "$T/req.cdsq" --fingerprint "$f" \
		--out "$T/cat.cdsa"
	must --home "$1" catalog import "$T/cat.cdsa" --root-fingerprint "$root"
}

# ==== The tree and a school year =====================================

must --home "$N" init --role national --org VN --name "Công đoàn Giáo dục Việt Nam"
root=$("$CDSYNC" --home "$N" catalog show | fpr)
must --home "$HG" init --role hub --org HG --name "Công đoàn Giáo dục tỉnh Hà Giang" --parent VN
enrol "$HG" "$N"
must --home "$TQ" init --role hub --org TQ --name "Công đoàn Giáo dục tỉnh Tuyên Quang" --parent VN
enrol "$TQ" "$N"
must --home "$A" init --role school --org HG-A --name "Trường Tiểu học Lũng Cú" --parent HG
enrol "$A" "$HG"
must --home "$B" init --role school --org HG-B --name "Trường THCS Đồng Văn" --parent HG
enrol "$B" "$HG"
must --home "$C" init --role school --org HG-C --name "Trường Mầm non Sủng Là" --parent HG
enrol "$C" "$HG"
must --home "$D" init --role school --org TQ-D --name "Trường THCS Na Hang" --parent TQ
enrol "$D" "$TQ"

# HG-A: 4 members, a plan tied to its tasks, its strategy and a key task,
# care for 3, culture and health this year, propaganda last year.
for i in 1 2 3 4; do
	must --home "$A" member add --code "A$i" --name "Giáo viên A$i" --joined 01/09/2020
done
must --home "$A" plan add --year 2025-2026 --title "Kế hoạch năm học 2025-2026"
must --home "$A" task add --kind strategy --term 2023 --title "Chiến lược phát triển 2023-2028"
must --home "$A" task add --kind task --title "Chuyển đổi số"
must --home "$A" activity add --date 20/01/2026 --kind care --title "Tết Sum vầy" \
	--benefit A1=500000 --benefit A2=500000 --benefit A3=500000 --cost 1.500.000
must --home "$A" activity add --date 10/03/2025 --kind propaganda --title "Luật Công đoàn 2024"
must --home "$A" activity add --date 20/11/2025 --kind culture --title "Hội thao 20/11"
must --home "$A" activity add --date 05/12/2025 --kind health --title "Khám sức khỏe"
# HG-B: 2 members, care last year only.  TQ-D: 1 member, care.
for i in 1 2; do
	must --home "$B" member add --code "B$i" --name "Giáo viên B$i" --joined 01/09/2020
done
must --home "$B" activity add --date 25/01/2025 --kind care --title "Tết 2025" \
	--benefit B1=300000 --benefit B2=300000 --cost 600.000
must --home "$D" member add --code D1 --name "Giáo viên D1" --joined 01/09/2021
must --home "$D" activity add --date 22/01/2026 --kind care --title "Tết Sum vầy" \
	--benefit D1=400000 --cost 400.000

# Up the tree on folders; HG-C never sends.
must --home "$A" export --out "$T/usb-a"
must --home "$HG" import "$T/usb-a"
must --home "$B" export --out "$T/usb-b"
must --home "$HG" import "$T/usb-b"
must --home "$HG" export --out "$T/usb-hg"
must --home "$D" export --out "$T/usb-d"
must --home "$TQ" import "$T/usb-d"
must --home "$TQ" export --out "$T/usb-tq"
must --home "$N" import "$T/usb-hg"
must --home "$N" import "$T/usb-tq"

# As if HG-B's bundle had come in on 15/06/2025, in the last school year:
# the stores keep when they took each bundle in (seen_ms, ms since the
# epoch; noon UTC).
for h in "$HG" "$N"; do
	python3 - "$h/store.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE sync_bundle_in SET seen_ms = 1749988800000, "
           "status_ms = 1749988800000 WHERE node_id IN "
           "(SELECT node_id FROM sync_peer WHERE org_code = 'HG-B')")
db.commit()
EOF
done

# ==== CSV: exact =====================================================

# The 25 figures of HG-A in 2024-2025 (and, the same, in the trend), and
# in 2023-2024: after the period, the window and the unit.
figs_2425='P3.plan,Unions with a plan tied to school tasks,0.0,100,0,1,0,1
P3.strategy,Unions with key tasks and a strategy for 2023-2028,100.0,100,1,1,1,1
P3.linked,Unions with an activity linked to a key task,0.0,100,0,1,0,1
P2.U.propaganda,Unions with legal and policy propaganda,100.0,100,1,1,1,1
P2.U.councils,Unions with a member on the unit'"'"'s councils,0.0,100,0,1,0,1
P2.U.innovation,Unions with an innovative way of care,0.0,100,0,1,0,1
P2.U.culture,Unions with culture or sports and health care activities,0.0,100,0,1,0,1
P2.U.care,Unions that organised care,0.0,100,0,1,0,1
P2.U.coverage,Members who benefited from care,0.0,90,0,1,0,4
P2.U.creative,Unions with an initiative proposed for the Creative Labour Certificate,0.0,30,0,1,0,1
P2.N.legal,Legal consultation requests answered,100.0,100,1,1,0,0
P2.N.training,Trainings on law and policy held by this unit,0,2,0,0,0,1
P2.N.care,Care activities held by this unit,0,2,0,0,0,1
P2.N.agreements,Cooperation agreements signed,0,10,0,0,0,1
care_per_member,Care money per member (VND),0,,,,,
activities.propaganda,legal and policy propaganda,1,,,,,
activities.training,training and capacity building,0,,,,,
activities.care,care,0,,,,,
activities.culture,"culture, arts, sports",0,,,,,
activities.health,health care,0,,,,,
activities.emulation,emulation and honouring,0,,,,,
activities.dialogue,dialogue and collective bargaining,0,,,,,
activities.inspection,inspection and supervision,0,,,,,
activities.remote_support,support for remote areas,0,,,,,
activities.welfare,welfare programme with partners,0,,,,,'
figs_2324=$(sed -e 's/^P2.U.propaganda,\(.*\),100.0,100,1,1,1,1$/P2.U.propaganda,\1,0.0,100,0,1,0,1/' \
	-e 's/^activities.propaganda,\(.*\),1,/activities.propaganda,\1,0,/' <<<"$figs_2425")
unit="HG-A,Trường Tiểu học Lũng Cú,grassroots"
want_csv=$(
	echo "section,period,from,to,code,name,level,kpi,label,value,target,met,applies,num,den"
	sed "s/^/units,2024-2025,2024-09-01,2025-08-31,$unit,/" <<<"$figs_2425"
	sed "s/^/trend,2023-2024,2023-09-01,2024-08-31,$unit,/" <<<"$figs_2324"
	sed "s/^/trend,2024-2025,2024-09-01,2025-08-31,$unit,/" <<<"$figs_2425"
)
run --home "$HG" report --org HG-A --period 2024-2025 --format csv
same "csv: exit code" 0 "$rc"
same "csv: the figures of a school and its trend" "$want_csv" \
	"$(sed -e '1s/^\xef\xbb\xbf//' -e 's/\r$//' "$T/out")"
same "csv: a BOM first" "efbbbf" "$(head -c 3 "$T/out" | od -An -tx1 | tr -d ' \n')"
same "csv: every record ends in CRLF" "76 76" \
	"$(wc -l <"$T/out" | tr -d ' ') $(grep -c $'\r$' "$T/out")"

# The district: HG, then HG-A, HG-B and HG-C (enrolled, never seen: a
# unit all the same), 25 records each, then 3 school years of HG's.
run --home "$HG" report --period 2025-2026 --format csv
same "csv of the district: records" "176" "$(wc -l <"$T/out" | tr -d ' ')"
same "csv of the district: the units and years" \
"units 2025-2026 HG 25
units 2025-2026 HG-A 25
units 2025-2026 HG-B 25
units 2025-2026 HG-C 25
trend 2023-2024 HG 25
trend 2024-2025 HG 25
trend 2025-2026 HG 25" \
	"$(tail -n +2 "$T/out" | awk -F, '{ key = $1 " " $2 " " $5; if (!(key in n)) w[++k] = key; n[key]++ }
		END { for (i = 1; i <= k; i++) print w[i], n[w[i]] }')"
same "csv of the district: care" \
"units,2025-2026,2025-09-01,2026-08-31,HG,Công đoàn Giáo dục tỉnh Hà Giang,upper,P2.U.coverage,Members who benefited from care,50.0,90,0,1,3,6
units,2025-2026,2025-09-01,2026-08-31,HG,Công đoàn Giáo dục tỉnh Hà Giang,upper,care_per_member,Care money per member (VND),250000,,,,,
units,2025-2026,2025-09-01,2026-08-31,HG-A,Trường Tiểu học Lũng Cú,grassroots,P2.U.coverage,Members who benefited from care,75.0,90,0,1,3,4
units,2025-2026,2025-09-01,2026-08-31,HG-A,Trường Tiểu học Lũng Cú,grassroots,care_per_member,Care money per member (VND),375000,,,,,
units,2025-2026,2025-09-01,2026-08-31,HG-B,Trường THCS Đồng Văn,grassroots,P2.U.coverage,Members who benefited from care,0.0,90,0,1,0,2
units,2025-2026,2025-09-01,2026-08-31,HG-B,Trường THCS Đồng Văn,grassroots,care_per_member,Care money per member (VND),0,,,,,
units,2025-2026,2025-09-01,2026-08-31,HG-C,Trường Mầm non Sủng Là,grassroots,P2.U.coverage,Members who benefited from care,0.0,90,0,1,0,0
units,2025-2026,2025-09-01,2026-08-31,HG-C,Trường Mầm non Sủng Là,grassroots,care_per_member,Care money per member (VND),0,,,,," \
	"$(sed 's/\r$//' "$T/out" | grep -E '^units,2025-2026,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,(P2.U.coverage|care_per_member),')"

# ==== JSON: exact ====================================================

# summary FILE: the JSON report as lines: its head, each unit's figures
# (CODE KPI num/den value met applies), the unions not reported, the
# trend.
summary() {
	python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("period", d["period"], d["from"], d["to"], d["as_of"], d["preset"])
print("org", d["org"]["code"], d["org"]["level"], d["org"]["name"])
print("children", *[c["code"] for c in d["children"]])
for u in [d["org"]] + d["children"]:
    for k in u["kpis"]:
        print(u["code"], k["id"], k["group"], "%d/%d" % (k["num"], k["den"]),
              json.dumps(k["value"]), json.dumps(k["target"]),
              "met" if k["met"] else "-", "" if k["applies"] else "n/a")
    print(u["code"], "care_per_member", u["care_per_member"],
          " ".join("%s=%d" % kv for kv in u["activities_by_kind"].items() if kv[1]))
print("unions", d["unions"])
for m in d["not_reported"]:
    print("missing", m["code"], m["name"], m["under"], m["last_day"], m["held"], m["known"])
for y in d["trend"]:
    print("year", y["year"], y["from"], y["to"],
          " ".join("%s=%d/%d" % (k["id"], k["num"], k["den"]) for k in y["kpis"]
                   if k["id"] in ("P3.plan", "P2.U.care", "P2.U.coverage")))
EOF
}

run --home "$HG" report --period 2025-2026 --format json
same "json: exit code" 0 "$rc"
cp "$T/out" "$T/hg.json"
same "json: the district" \
"period 2025-2026 2025-09-01 2026-08-31 None None
org HG upper Công đoàn Giáo dục tỉnh Hà Giang
children HG-A HG-B HG-C
HG P3.plan P3 1/3 33.3 100 - 
HG P3.strategy P3 1/3 33.3 100 - 
HG P3.linked P3 0/3 0.0 100 - 
HG P2.U.propaganda P2.U 0/3 0.0 100 - 
HG P2.U.councils P2.U 0/3 0.0 100 - 
HG P2.U.innovation P2.U 0/3 0.0 100 - 
HG P2.U.culture P2.U 1/3 33.3 100 - 
HG P2.U.care P2.U 1/3 33.3 100 - 
HG P2.U.coverage P2.U 3/6 50.0 90 - 
HG P2.U.creative P2.U 0/3 0.0 30 - 
HG P2.N.legal P2.N 0/0 100.0 100 met 
HG P2.N.training P2.N 0/1 0 2 - n/a
HG P2.N.care P2.N 0/1 0 2 - n/a
HG P2.N.agreements P2.N 0/1 0 10 - n/a
HG care_per_member 250000 care=1 culture=1 health=1
HG-A P3.plan P3 1/1 100.0 100 met 
HG-A P3.strategy P3 1/1 100.0 100 met 
HG-A P3.linked P3 0/1 0.0 100 - 
HG-A P2.U.propaganda P2.U 0/1 0.0 100 - 
HG-A P2.U.councils P2.U 0/1 0.0 100 - 
HG-A P2.U.innovation P2.U 0/1 0.0 100 - 
HG-A P2.U.culture P2.U 1/1 100.0 100 met 
HG-A P2.U.care P2.U 1/1 100.0 100 met 
HG-A P2.U.coverage P2.U 3/4 75.0 90 - 
HG-A P2.U.creative P2.U 0/1 0.0 30 - 
HG-A P2.N.legal P2.N 0/0 100.0 100 met 
HG-A P2.N.training P2.N 0/1 0 2 - n/a
HG-A P2.N.care P2.N 1/1 1 2 - n/a
HG-A P2.N.agreements P2.N 0/1 0 10 - n/a
HG-A care_per_member 375000 care=1 culture=1 health=1
HG-B P3.plan P3 0/1 0.0 100 - 
HG-B P3.strategy P3 0/1 0.0 100 - 
HG-B P3.linked P3 0/1 0.0 100 - 
HG-B P2.U.propaganda P2.U 0/1 0.0 100 - 
HG-B P2.U.councils P2.U 0/1 0.0 100 - 
HG-B P2.U.innovation P2.U 0/1 0.0 100 - 
HG-B P2.U.culture P2.U 0/1 0.0 100 - 
HG-B P2.U.care P2.U 0/1 0.0 100 - 
HG-B P2.U.coverage P2.U 0/2 0.0 90 - 
HG-B P2.U.creative P2.U 0/1 0.0 30 - 
HG-B P2.N.legal P2.N 0/0 100.0 100 met 
HG-B P2.N.training P2.N 0/1 0 2 - n/a
HG-B P2.N.care P2.N 0/1 0 2 - n/a
HG-B P2.N.agreements P2.N 0/1 0 10 - n/a
HG-B care_per_member 0 
HG-C P3.plan P3 0/1 0.0 100 - 
HG-C P3.strategy P3 0/1 0.0 100 - 
HG-C P3.linked P3 0/1 0.0 100 - 
HG-C P2.U.propaganda P2.U 0/1 0.0 100 - 
HG-C P2.U.councils P2.U 0/1 0.0 100 - 
HG-C P2.U.innovation P2.U 0/1 0.0 100 - 
HG-C P2.U.culture P2.U 0/1 0.0 100 - 
HG-C P2.U.care P2.U 0/1 0.0 100 - 
HG-C P2.U.coverage P2.U 0/0 0.0 90 - 
HG-C P2.U.creative P2.U 0/1 0.0 30 - 
HG-C P2.N.legal P2.N 0/0 100.0 100 met 
HG-C P2.N.training P2.N 0/1 0 2 - n/a
HG-C P2.N.care P2.N 0/1 0 2 - n/a
HG-C P2.N.agreements P2.N 0/1 0 10 - n/a
HG-C care_per_member 0 
unions 3
missing HG-C Trường Mầm non Sủng Là HG-C None 0 False
missing HG-B Trường THCS Đồng Văn HG-B 2025-06-15 0 True
year 2023-2024 2023-09-01 2024-08-31 P3.plan=0/3 P2.U.care=0/3 P2.U.coverage=0/6
year 2024-2025 2024-09-01 2025-08-31 P3.plan=0/3 P2.U.care=1/3 P2.U.coverage=2/6
year 2025-2026 2025-09-01 2026-08-31 P3.plan=1/3 P2.U.care=1/3 P2.U.coverage=3/6" \
	"$(summary "$T/hg.json")"

# The national hub: HG and TQ under it; HG-C is known from HG's sheet of
# the catalog; TQ-D has reported.
run --home "$N" report --period 2025-2026 --format json
cp "$T/out" "$T/vn.json"
same "json: the national hub" \
"period 2025-2026 2025-09-01 2026-08-31 None None
org VN national Công đoàn Giáo dục Việt Nam
children HG TQ
unions 4
missing HG-C Trường Mầm non Sủng Là HG None 0 False
missing HG-B Trường THCS Đồng Văn HG 2025-06-15 0 True" \
	"$(summary "$T/vn.json" | grep -vE '^(HG|TQ|VN|year) ')"
same "json: national figures are the sum of the provinces'" \
"VN P2.U.care 2/4
VN P2.U.coverage 4/7
HG P2.U.care 1/3
HG P2.U.coverage 3/6
TQ P2.U.care 1/1
TQ P2.U.coverage 1/1" \
	"$(summary "$T/vn.json" | awk '$2 == "P2.U.care" || $2 == "P2.U.coverage" { print $1, $2, $4 }')"

# A preset: the mid-term review is the term up to 31/08/2026.
run --home "$HG" report --preset midterm --format json
same "preset midterm: exit code" 0 "$rc"
summary "$T/out" >"$T/sum.txt"
same "preset midterm: period, window, trend" \
"period 2023-2028 2023-09-01 2026-08-31 2026-08-31 midterm
year 2023-2024
year 2024-2025
year 2025-2026" \
	"$(grep -E '^(period|year) ' "$T/sum.txt" | sed 's/^\(year [^ ]*\) .*/\1/')"
run --home "$HG" report --preset final --format json
summary "$T/out" >"$T/sum.txt"
same "preset final: period and as-of" "period 2023-2028 2023-09-01 2028-08-31 2028-08-31 final" \
	"$(sed -n 1p "$T/sum.txt")"

# ==== HTML ===========================================================

run --home "$HG" report --period 2025-2026 --out "$T/r.html"
same "html: exit code and nothing printed" "0 " "$rc $(cat "$T/out" "$T/err")"
python3 - "$T/r.html" <<'EOF' >"$T/html.txt" 2>&1 || true
import html.parser, sys
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}
# SVG shapes written as <rect .../> are closed by themselves
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.svg, self.ext = [], [], 0, []
    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svg += 1
        for k, v in attrs:
            if k in ("src", "href") and v and not v.startswith("#"):
                self.ext.append(v)
        if tag in ("script", "link", "img", "iframe", "object"):
            self.ext.append(tag)
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))
    def handle_startendtag(self, tag, attrs):
        pass
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append("unexpected </%s> at %s (open: %s)" % (
                tag, self.getpos(), self.stack[-1] if self.stack else None))
            return
        self.stack.pop()
p = P()
text = open(sys.argv[1], encoding="utf-8").read()
p.feed(text)
p.close()
print("errors", len(p.errors), *p.errors[:3])
print("unclosed", len(p.stack), *p.stack[:3])
print("external", len(p.ext), *p.ext[:3])
print("svg", p.svg)
print("css-url", text.count("url("), text.count("@import"))
EOF
same "html: well-formed and self-contained" \
"errors 0
unclosed 0
external 0
svg 44
css-url 0 0" "$(cat "$T/html.txt")"
missing_ids=""
for k in P3.plan P3.strategy P3.linked P2.U.propaganda P2.U.councils \
	P2.U.innovation P2.U.culture P2.U.care P2.U.coverage P2.U.creative \
	P2.N.legal P2.N.training P2.N.care P2.N.agreements; do
	grep -q "id=\"kpi-$k\"" "$T/r.html" || missing_ids="$missing_ids $k"
done
same "html: a card for every KPI" "" "$missing_ids"
yes "html: the target lines" grep -q 'stroke-dasharray="5 3"' "$T/r.html"
yes "html: money as 1.234.567 đ" grep -q '375.000 đ' "$T/r.html"
yes "html: dates as dd/mm/yyyy" grep -q '15/06/2025' "$T/r.html"
yes "html: the school never seen" grep -q 'Trường Mầm non Sủng Là' "$T/r.html"
yes "html: English with LANG=en" grep -q '<html lang="en">' "$T/r.html"
# escaping: a name with markup in it
must --home "$HG" org rename HG-A --name 'Trường <b>"A"</b> & Co' --on 01/01/2026
run --home "$HG" report --period 2025-2026 --format html
yes "html: names are escaped" grep -q 'Trường &lt;b&gt;&quot;A&quot;&lt;/b&gt; &amp; Co' "$T/out"
same "html: no markup from a name" "0" "$(grep -c '<b>"A"' "$T/out" || true)"
# Vietnamese by default
LANG= LANGUAGE= "$CDSYNC" --home "$HG" report --period 2025-2026 --format html >"$T/vi.html"
yes "html: Vietnamese by default" grep -q '<html lang="vi">' "$T/vi.html"

# ==== XLSX ===========================================================

run --home "$HG" report --period 2025-2026 --format xlsx --out "$T/r.xlsx"
same "xlsx: exit code" "0 " "$rc $(cat "$T/err")"
python3 - "$T/r.xlsx" <<'EOF' >"$T/xlsx.txt" 2>&1 || true
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print("zip", z.testzip())
wb = z.read("xl/workbook.xml").decode()
print("sheets", "|".join(re.findall(r'<sheet name="([^"]*)"', wb)))
s1 = z.read("xl/worksheets/sheet1.xml").decode()
# F4: the value of HG's P3.plan, 1/3 as a number with a style (percent)
m = re.search(r'<c r="F4"([^>]*)><v>([^<]*)</v></c>', s1)
print("F4", m and m.group(2), m and 't="' not in m.group(1))
print("frozen", 'state="frozen"' in s1)
print("autofilter", "<autoFilter" in s1)
print("widths", "<cols>" in s1)
styles = z.read("xl/styles.xml").decode()
print("percent", 'formatCode="0.0%"' in styles)
s4 = z.read("xl/worksheets/sheet4.xml").decode()
m = re.search(r'<c r="D5"[^>]*><v>([^<]*)</v></c>', s4)
print("care per member of HG-A", m and m.group(1))
s5 = z.read("xl/worksheets/sheet5.xml").decode()
m = re.search(r'<c r="D5"[^>]*><v>([^<]*)</v></c>', s5)
print("HG-B's day as a date", m and m.group(1))
strings = z.read("xl/sharedStrings.xml").decode()
print("names", "Trường Mầm non Sủng Là" in strings)
EOF
same "xlsx: a workbook with numbers" \
"zip None
sheets P3|P2.U|P2.N|Money and kinds|Not reported|Trend
F4 0.3333333333333334 True
frozen True
autofilter True
widths True
percent True
care per member of HG-A 375000
HG-B's day as a date 45823
names True" "$(cat "$T/xlsx.txt")"

# ==== The command line ===============================================

run --home "$HG" report --period 2025-2026 --format xlsx
same "xlsx needs --out" "2" "$rc"
same "xlsx needs --out: message" \
"cdsync: an xlsx workbook is not printed on the screen: give --out FILE.xlsx
Try 'cdsync report --help'." "$(cat "$T/err")"
run --home "$HG" report --period 2025-2026
same "a format is needed" "2" "$rc"
run --home "$HG" report --period 2025-2026 --format pdf
same "an unknown format" "2 cdsync: unknown format 'pdf': use html, xlsx, csv or json" \
	"$rc $(head -1 "$T/err")"
run --home "$HG" report --preset sokết --format json
same "an unknown preset" "2 cdsync: unknown preset 'sokết': use midterm or final" \
	"$rc $(head -1 "$T/err")"
run --home "$HG" report --preset midterm --period 2025-2026 --format json
same "a preset and a period" "2 cdsync: give --period or --preset, not both" \
	"$rc $(head -1 "$T/err")"
run --home "$HG" report --org NOPE --period 2025-2026 --format json
same "an unknown union" "1 cdsync: there is no org unit with the code 'NOPE'" \
	"$rc $(cat "$T/err")"
# --out: whole or not at all
echo "old" >"$T/keep.csv"
run --home "$HG" report --org NOPE --period 2025-2026 --out "$T/keep.csv"
same "a failed report leaves --out as it was" "old" "$(cat "$T/keep.csv")"
run --home "$HG" report --period 2025-2026 --out "$T/keep.csv"
same "--out replaces the file" "0 section,period,from" \
	"$rc $(head -1 "$T/keep.csv" | sed 's/^\xef\xbb\xbf//' | cut -d, -f1-3)"
run --home "$HG" report --period 2025-2026 --out "$T/no/such/dir/r.html"
same "--out in a folder that is not there" "1" "$rc"
mkdir "$T/outdir"
run --home "$HG" report --period 2025-2026 --format html --out "$T/outdir"
same "--out naming a folder" "1" "$rc"
same "no temporary file is left" "" \
	"$(find "$T" "$T/outdir" -maxdepth 1 -name '.*.*' -type f)"
run --home "$HG" report --help
same "help: exit code" "0" "$rc"
yes "help: the reviews" grep -q "Q3 2026" "$T/out"
yes "help: the BOM" grep -q "BOM" "$T/out"

echo "report_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

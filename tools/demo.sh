#!/usr/bin/env bash
# tools/demo.sh -- one school year at a boarding primary school in Hà Giang,
# recorded with the `cdsync` command, end to end.  Run by tools/demo (which
# builds first) and by ctest (e2e_demo, with --quiet).
#
# Usage: tools/demo.sh [--home DIR] [--keep] [--quiet]
#   --home DIR  use DIR as the node home (default: a new temporary one)
#   --keep      keep the temporary home and say where it is
#   --quiet     print only the KPI table (for tests)
# Needs CDSYNC_BIN_DIR (where `cdsync` is) or `cdsync` on PATH.
set -euo pipefail

home="" keep=0 quiet=0
while [ $# -gt 0 ]; do
	case "$1" in
	--home) home="$2"; keep=1; shift 2 ;;
	--keep) keep=1; shift ;;
	--quiet) quiet=1; shift ;;
	*) echo "usage: $0 [--home DIR] [--keep] [--quiet]" >&2; exit 2 ;;
	esac
done
bin="${CDSYNC_BIN_DIR:+$CDSYNC_BIN_DIR/}cdsync"
if [ -z "$home" ]; then
	home="$(mktemp -d "${TMPDIR:-/tmp}/cdsync-demo-XXXXXX")"
	[ $keep -eq 1 ] || trap 'stop_daemons; rm -rf "$home"' EXIT
fi
[ $keep -eq 0 ] || trap 'stop_daemons' EXIT
export CDSYNC_HOME="$home"
daemons=()
stop_daemons() {	# the cdsyncd and faultproxy of step 12, if running
	local p
	for p in "${daemons[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${daemons[@]}"; do wait "$p" 2>/dev/null || true; done
	daemons=()
}
# Each node's secret keys are sealed under a passphrase (Argon2id).  A
# person types it when a command needs the keys; the demo gives it here.
export CDSYNC_PASSPHRASE="${CDSYNC_PASSPHRASE:-Lung-Cu-2026}"
work="$home/files"
mkdir -p "$work"

# Vietnamese unless the locale asks for English, as `cdsync` decides.
en=0
for v in "${LANGUAGE:-}" "${LC_ALL:-}" "${LC_MESSAGES:-}" "${LANG:-}"; do
	[ -n "$v" ] || continue
	case "$v" in en*) en=1 ;; esac
	break
done
say() {			# a step title: say "Vietnamese" "English"
	[ $quiet -eq 1 ] && return 0
	if [ $en -eq 1 ]; then t="$2"; else t="$1"; fi
	printf '\n\033[1m== %s\033[0m\n' "$t"
}
run() {			# show and run a cdsync command
	if [ $quiet -eq 1 ]; then
		"$bin" "$@" >/dev/null
	else
		printf '\033[2m$ cdsync %s\033[0m\n' "$*"
		"$bin" "$@"
	fi
}
newid() {		# run an add, print the short id it reports
	local out
	out="$("$bin" "$@")"
	[ $quiet -eq 1 ] || { printf '\033[2m$ cdsync %s\033[0m\n' "$*"; echo "$out"; } >&2
	grep -oE '\b[0-9a-f]{8}\b' <<<"$out" | head -1
}

# ---- 1. The node ----------------------------------------------------------
say "1. Thiết lập máy của trường" "1. Set up the school node"
run init --role school --org HG-VX-TH-LUNGCU \
	--name "Trường PTDTBT Tiểu học Lũng Cú" --parent HG-VX

# ---- 2. Members, from a spreadsheet -----------------------------------------
# 38 members with names of the Hmong, Lô Lô, Tày and Kinh families of the
# district, written as Excel on a Vietnamese Windows writes CSV: a BOM,
# semicolons, CRLF line ends, a quoted field holding a semicolon.
say "2. Nhập danh sách đoàn viên (tệp CSV từ Excel)" "2. Import the member list (an Excel CSV file)"
RANDOM=2025
fam=(Giàng Sùng Lò Vàng Thào Mua Hờ Ly Nguyễn Trần Hoàng Phạm Vũ Đỗ Lý Nông)
fem=(Mai Hoa Lan Dung Thu Hương Nga Chi Mỷ Dở Pà Sính Hiền Thảo Huyền Nhung)
mal=(Páo Sính Chứ Dình Hùng Tuấn Minh Quang Dũng Cường Sử Tủa Khải Long)
csv="$work/danh-sach-doan-vien.csv"
{
	printf '\xef\xbb\xbfSTT;Mã;Họ và tên;Giới tính;Năm sinh;Công việc;Ngày vào công đoàn;Ghi chú\r\n'
	for i in $(seq 1 38); do
		f=${fam[RANDOM % ${#fam[@]}]}
		if [ $((RANDOM % 3)) -gt 0 ]; then
			sex="Nữ"; name="$f Thị ${fem[RANDOM % ${#fem[@]}]}"
		else
			sex="Nam"; mid=Văn; [ $((RANDOM % 2)) -eq 0 ] && mid=A
			name="$f $mid ${mal[RANDOM % ${#mal[@]}]}"
		fi
		job="Giáo viên"; [ $i -le 3 ] && job="Quản lý"
		[ $i -ge 34 ] && job="Nhân viên"
		born=$((1968 + RANDOM % 33))
		joined=$(printf '01/09/%d' $((born + 22 + RANDOM % 4)))
		[ "${joined#*/*/}" -gt 2025 ] && joined="01/09/2025"
		note=""; [ $i -eq 36 ] && note='"Kế toán; thủ quỹ"'
		printf '%d;M%03d;%s;%s;%d;%s;%s;%s\r\n' $i $i "$name" "$sex" \
			$born "$job" "$joined" "$note"
	done
} >"$csv"
run member import "$csv"
say "   ... nhập lại lần nữa: không ai bị thêm hai lần" "   ... and once more: nobody is added twice"
run member import "$csv"

# ---- 3. Plan, key tasks, councils -------------------------------------------
say "3. Kế hoạch, nhiệm vụ trọng tâm, chiến lược; đoàn viên tham gia hội đồng" "3. The school's plan, key tasks and strategy; council seats"
run plan add --year 2025-2026 --title "Kế hoạch hoạt động công đoàn năm học 2025-2026" \
	--tied yes --adopted 15/09/2025
newid task add --kind strategy --term 2023 \
	--title "Chiến lược phát triển nhà trường giai đoạn 2023-2028" >/dev/null
t1=$(newid task add --kind task --title "Nâng cao chất lượng dạy học ở điểm trường")
t2=$(newid task add --kind task --title "Chuyển đổi số trong quản lý và dạy học")
t3=$(newid task add --kind task --title "Chăm lo đời sống đội ngũ vùng cao")
run council add --member M001 --council salary --from 01/09/2025
run council add --member M005 --council emulation --from 01/09/2025

# ---- 4. A school year of activities ---------------------------------------
say "4. Một năm học hoạt động, đủ các loại" "4. A school year of activities, of every kind"
run activity add --date 15/09/2025 --kind propaganda --task "$t1" \
	--title "Tuyên truyền Luật Công đoàn 2024 và chế độ chính sách mới" --participants 36
run activity add --date 10/10/2025 --kind training --task "$t2" \
	--title "Tập huấn kỹ năng số cho giáo viên" --cost 2.000.000 --funding union --participants 35
run activity add --date 20/11/2025 --kind culture \
	--title "Hội thao chào mừng Ngày Nhà giáo Việt Nam 20/11" --cost 5.000.000 --funding mixed --participants 38
run activity add --date 20/11/2025 --kind emulation \
	--title "Tuyên dương giáo viên dạy giỏi cấp huyện" --cost 1.500.000 --funding union
run activity add --date 12/12/2025 --kind health \
	--title "Khám sức khỏe định kỳ cho đoàn viên" --cost 7.600.000 --funding unit --participants 36
# Tết Sum vầy: gifts for 31 of the 38 members (the others were away).
gifts=()
for i in $(seq 1 31); do gifts+=(--benefit "$(printf 'M%03d' $i)=500.000"); done
run activity add --date 20/01/2026 --kind care --programme tet_sum_vay --task "$t3" \
	--title "Tết Sum vầy 2026: quà Tết cho đoàn viên" --cost 15.500.000 --funding mixed \
	--participants 31 "${gifts[@]}"
run activity add --date 25/02/2026 --kind remote_support \
	--title "Góp sách vở, áo ấm cho điểm trường Sủng Thài" --cost 3.200.000 --funding sponsor
run activity add --date 08/03/2026 --kind care --programme bua_com --innovative \
	--title "Bữa cơm công đoàn ngày 8/3 tại điểm trường" --cost 2.400.000 --funding union \
	--benefit M032=200.000 --benefit M033=200.000
run activity add --date 16/03/2026 --kind dialogue \
	--title "Đối thoại với Hiệu trưởng về chế độ dạy thêm giờ" --participants 30
run activity add --date 10/04/2026 --kind inspection \
	--title "Tự kiểm tra tài chính công đoàn học kỳ I"
run activity add --date 15/05/2026 --kind welfare \
	--title "Ưu đãi khám mắt với Bệnh viện Mắt tỉnh" --participants 12
run initiative add --title "Sổ điểm danh số cho điểm trường không có sóng" \
	--author "Giáo viên M012" --member M012 --year 2026 --clc
run award add --date 28/05/2026 --recipient-is collective --recipient "Công đoàn cơ sở" \
	--title "Giấy khen Công đoàn cơ sở vững mạnh" --issuer "Công đoàn Giáo dục huyện Vị Xuyên"
c1=$(newid legal open --date 03/03/2026 --member M014 --topic "Chế độ phụ cấp thu hút vùng đặc biệt khó khăn")
newid legal open --date 20/04/2026 --member M021 --topic "Nghỉ thai sản và bảo hiểm xã hội" >/dev/null
run legal update "$c1" --status advised --date 10/03/2026 --note "Đã hướng dẫn hồ sơ"

# ---- 5. Bad input is refused, nothing is recorded -----------------------------
say "5. Ngày sai bị từ chối, không có gì được ghi" "5. A wrong date is refused, and nothing is recorded"
before=$("$bin" activity list --period 2025-2026 --json | wc -c)
if [ $quiet -eq 1 ]; then
	"$bin" activity add --date 31/02/2026 --kind care --title "Thăm hỏi" 2>/dev/null && exit 1
else
	printf '\033[2m$ cdsync activity add --date 31/02/2026 --kind care --title "Thăm hỏi"\033[0m\n'
	"$bin" activity add --date 31/02/2026 --kind care --title "Thăm hỏi" && exit 1
fi
after=$("$bin" activity list --period 2025-2026 --json | wc -c)
[ "$before" = "$after" ] || { echo "demo: the refused activity changed the store" >&2; exit 1; }

# ---- 6. What an officer looks at ------------------------------------------------
say "6. Hoạt động chăm lo năm nay, đoàn viên chưa được chăm lo, yêu cầu tư vấn chưa xong" "6. This year's care activities, members not yet cared for, open legal cases"
run activity list --period 2025-2026 --kind care
run member uncared --period 2025-2026
run legal list --open

# ---- 7. The KPIs -------------------------------------------------------------
say "7. Chỉ tiêu của trường năm học 2025-2026" "7. The school's KPIs for the school year 2025-2026"
"$bin" kpi --period 2025-2026
n=$("$bin" changes --json | grep -c '"seq"')
say "   ... và các thay đổi đã ghi lại để đồng bộ (12 đầu tiên trong $n)" \
    "   ... and the changes captured for sync (first 12 of $n)"
[ $quiet -eq 1 ] || { "$bin" changes | head -13 || true; }

# ---- 8. Join the tree: enrolment ---------------------------------------------
# The district hub and the national hub are two more nodes on this
# machine, each with its own home; a folder stands in for the USB stick.
# No key file is copied by hand: each level enrols the level below, and
# the fingerprints that make the files safe are "read out by phone".
say "8. Vào cây tổ chức: cấp trên duyệt đăng ký của cấp dưới" \
    "8. Join the tree: each level approves the enrolment of the one below"
district="$home/district" national="$home/national" usb="$home/usb" usb2="$home/usb2"
at() {			# at HOME ARGS...: run cdsync for another node
	local h="$1"
	shift
	if [ $quiet -eq 1 ]; then
		"$bin" --home "$h" "$@" >/dev/null
	else
		printf '\033[2m$ cdsync --home %s %s\033[0m\n' "${h#$home/}" "$*"
		"$bin" --home "$h" "$@"
	fi
}
fpr() {			# the fingerprint in a command's output
	grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' | head -1
}
at "$national" init --role national --org VN --name "Công đoàn Giáo dục Việt Nam"
root=$("$bin" --home "$national" catalog show | fpr)
at "$district" init --role hub --org HG-VX --name "Công đoàn Giáo dục huyện Vị Xuyên" --parent VN
f=$("$bin" --home "$district" enrol request --out "$work/huyen.cdsq" | fpr)
[ $quiet -eq 1 ] || printf '\033[2m$ cdsync --home district enrol request --out files/huyen.cdsq\033[0m   (%s)\n' "$f"
at "$national" enrol approve "$work/huyen.cdsq" --fingerprint "$f" --out "$work/danh-ba-huyen.cdsa"
at "$district" catalog import "$work/danh-ba-huyen.cdsa" --root-fingerprint "$root"
f=$("$bin" enrol request --out "$work/truong.cdsq" | fpr)
school_fpr="$f"
[ $quiet -eq 1 ] || printf '\033[2m$ cdsync enrol request --out files/truong.cdsq\033[0m   (%s)\n' "$f"
at "$district" enrol approve "$work/truong.cdsq" --fingerprint "$f" --out "$work/danh-ba-truong.cdsa"
run catalog import "$work/danh-ba-truong.cdsa" --root-fingerprint "$root"
run catalog show
# The union chair's phone pairs with the school node: the node shows a
# code, she types it on the phone; each side then knows the other.
say "   ... điện thoại của chủ tịch công đoàn ghép đôi với máy của trường" \
    "   ... the union chair's phone pairs with the school node"
phone="$home/phone"
at "$phone" init --role client --org HG-VX-TH-LUNGCU --name "Trường PTDTBT Tiểu học Lũng Cú"
shown=$("$bin" pair code)
[ $quiet -eq 1 ] || { printf '\033[2m$ cdsync pair code\033[0m\n'; echo "$shown"; }
code=$(grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' <<<"$shown" | head -1)
at "$phone" pair request --code "$code" --device "Điện thoại cô Mỷ" --out "$work/dien-thoai.cdsp"
run pair approve "$work/dien-thoai.cdsp" --out "$work/dien-thoai.cdsc"
at "$phone" pair finish "$work/dien-thoai.cdsc"
run pair list
if ! "$bin" pair list | grep -q "Điện thoại cô Mỷ" ||
   ! "$bin" --home "$phone" pair list | grep -q "$school_fpr"; then
	echo "demo: the phone and the school node do not know each other" >&2
	exit 1
fi
if [ $en -eq 1 ]; then echo "✓ the phone and the school node are paired"
else echo "✓ điện thoại và máy của trường đã ghép đôi"; fi

# ---- 9. Up the tree on a USB stick ------------------------------------------
say "9. Lên cấp trên bằng USB: trường → huyện → trung ương" \
    "9. Up the tree on a USB stick: school → district → national"
run export --out "$usb"
first=$(ls "$usb"/*.cdsb | head -1)
[ $quiet -eq 1 ] || { at "$district" bundle show "$first" | head -9 || true; }
at "$district" import "$usb"
at "$district" import "$usb"			# again: nothing twice
[ $quiet -eq 1 ] || at "$district" status
at "$district" export --out "$usb2"
at "$national" import "$usb2"
say "   ... cả ba nơi tính ra cùng một số liệu cho trường" \
    "   ... and all three compute the same figures for the school"
k0=$("$bin" kpi --period 2025-2026 --json | grep -v '"org"')
k1=$("$bin" --home "$district" kpi --org HG-VX-TH-LUNGCU --period 2025-2026 --json | grep -v '"org"')
k2=$("$bin" --home "$national" kpi --org HG-VX-TH-LUNGCU --period 2025-2026 --json | grep -v '"org"')
if [ "$k0" = "$k1" ] && [ "$k0" = "$k2" ]; then
	if [ $en -eq 1 ]; then echo "✓ school, district and national: the same KPI figures"
	else echo "✓ trường, huyện và trung ương: cùng một số liệu chỉ tiêu"; fi
else
	echo "demo: the KPI figures differ between the nodes" >&2
	exit 1
fi
[ $quiet -eq 1 ] || { "$bin" --home "$national" kpi --org HG-VX-TH-LUNGCU --period 2025-2026 | sed -n "1,6p" || true; }
# The school replaces its keys: the old key signs a hand-over that goes
# down on the same stick; the district certifies the new keys, and the
# next bundle, signed with them, continues the school's chain.
say "   ... trường đổi khóa: gói sau ký bằng khóa mới vẫn nối tiếp chuỗi" \
    "   ... the school rotates its keys: the next bundle, signed with the new ones, continues the chain"
run keys rotate
run activity add --held-on 2026-05-15 --title "Sinh hoạt chuyên đề về chế độ chính sách" --kind propaganda >/dev/null
run export --out "$usb"
at "$district" import "$usb"
n=$("$bin" --home "$district" status --json |
	awk '/"org": "HG-VX-TH-LUNGCU"/ { f = 1 } f && /"last_seq"/ { gsub(/[^0-9]/, ""); print; exit }')
if [ "$n" != 2 ]; then
	echo "demo: expected the school's second bundle, signed with its new key, merged at the district; found $n" >&2
	exit 1
fi
if [ $en -eq 1 ]; then echo "✓ bundle 2, signed with the new key, continues the chain"
else echo "✓ gói số 2, ký bằng khóa mới, nối tiếp chuỗi"; fi

# ---- 10. A lost laptop --------------------------------------------------------
# A second school's laptop is lost: the district revokes its key.  What
# was merged before stays; a bundle that arrives signed with it later is
# refused, and nothing of it is merged.
say "10. Mất máy: huyện thu hồi khóa, gói đến sau bị từ chối" \
    "10. A lost laptop: the district revokes its key, later bundles are refused"
lost="$home/lost" usb3="$home/usb3"
at "$lost" init --role school --org HG-VX-THCS-THANHTHUY --name "Trường PTDTBT THCS Thanh Thủy" --parent HG-VX
f=$("$bin" --home "$lost" enrol request --out "$work/thanh-thuy.cdsq" | fpr)
at "$district" enrol approve "$work/thanh-thuy.cdsq" --fingerprint "$f" --out "$work/danh-ba-tt.cdsa"
at "$lost" catalog import "$work/danh-ba-tt.cdsa" --root-fingerprint "$root"
at "$lost" activity add --held-on 2025-11-20 --title "Mít tinh 20/11" --kind culture
at "$lost" export --out "$usb3"
at "$district" import "$usb3"
at "$district" enrol revoke HG-VX-THCS-THANHTHUY --reason "máy tính bị mất"
at "$lost" activity add --held-on 2025-11-25 --title "Ghi bởi người lạ" --kind culture
at "$lost" export --out "$usb3"
if "$bin" --home "$district" import "$usb3" >/dev/null 2>"$work/refused.txt"; then
	echo "demo: a bundle signed with a revoked key was taken in" >&2
	exit 1
fi
[ $quiet -eq 1 ] || sed 's/^/  /' "$work/refused.txt"
n=$("$bin" --home "$district" status --json |
	awk '/"org": "HG-VX-THCS-THANHTHUY"/ { f = 1 } f && /"last_seq"/ { gsub(/[^0-9]/, ""); print; exit }')
if [ "$n" != 1 ]; then
	echo "demo: expected the lost laptop's first bundle merged at the district and no more, found $n" >&2
	exit 1
fi
if [ $en -eq 1 ]; then echo "✓ the earlier activity still counts; the later one was refused"
else echo "✓ hoạt động ghi trước vẫn được tính; hoạt động ghi sau bị từ chối"; fi

# ---- 11. A province merger ----------------------------------------------------
# In 2025 Hà Giang went into Tuyên Quang and the district level went away:
# at the end of the school year the district union of the demo is merged
# into the province union of Tuyên Quang.  The province union joins the
# tree by enrolment, like the district did; the national hub records the
# merger.  Nothing is rewritten: the school's records stay its own and
# the district's stay the district's; they count under the province from
# 01/07/2026, and every report of an earlier day shows the tree as it was.
say "11. Sáp nhập tỉnh: công đoàn huyện nhập vào công đoàn tỉnh, mọi số liệu được giữ" \
    "11. A province merger: the district union goes into the province union, every figure kept"
province="$home/province" usb4="$home/usb4"
at "$province" init --role hub --org TQ --name "Công đoàn Giáo dục tỉnh Tuyên Quang" --parent VN
f=$("$bin" --home "$province" enrol request --out "$work/tinh.cdsq" | fpr)
[ $quiet -eq 1 ] || printf '\033[2m$ cdsync --home province enrol request --out files/tinh.cdsq\033[0m   (%s)\n' "$f"
at "$national" enrol approve "$work/tinh.cdsq" --fingerprint "$f" --out "$work/danh-ba-tinh.cdsa"
at "$province" catalog import "$work/danh-ba-tinh.cdsa" --root-fingerprint "$root"
at "$province" export --out "$usb4"
at "$national" import "$usb4"
figs() {		# figs HOME ARGS...: a KPI table as JSON, without unit and window
	"$bin" --home "$1" kpi "${@:2}" --json | grep -vE '"(org|to|as_of)"'
}
at "$national" kpi --period 2025-2026 --as-of 30/06/2026
vn0=$(figs "$national" --period 2025-2026 --as-of 30/06/2026)
vx0=$(figs "$national" --org HG-VX --period 2025-2026 --as-of 30/06/2026)
tq0=$(figs "$national" --org TQ --period 2025-2026 --as-of 30/06/2026)
at "$national" org merge HG-VX --into TQ --on 01/07/2026 \
	--note "Sáp nhập theo Nghị quyết 202/2025/QH15"
at "$national" org list --as-of 01/07/2026
say "   ... chỉ tiêu của tỉnh trước ngày sáp nhập, rồi sau ngày sáp nhập" \
    "   ... the province's KPIs before the merger, then after it"
[ $quiet -eq 1 ] || { "$bin" --home "$national" kpi --org TQ --period 2025-2026 --as-of 30/06/2026 | sed -n "1,6p" || true; }
at "$national" kpi --org TQ --period 2025-2026 --as-of 31/08/2026
vn1=$(figs "$national" --period 2025-2026 --as-of 31/08/2026)
tq1=$(figs "$national" --org TQ --period 2025-2026 --as-of 31/08/2026)
if [ "$vn0" = "$vn1" ] && [ "$vx0" = "$tq1" ] && [ "$tq0" != "$tq1" ]; then
	if [ $en -eq 1 ]; then
		echo "✓ national union: the same KPI figures before and after the merger"
		echo "✓ province TQ after the merger: the same KPI figures as district HG-VX before it"
	else
		echo "✓ trung ương: cùng một số liệu chỉ tiêu trước và sau sáp nhập"
		echo "✓ tỉnh TQ sau sáp nhập: cùng một số liệu chỉ tiêu như huyện HG-VX trước đó"
	fi
else
	echo "demo: the merger changed the KPI figures" >&2
	exit 1
fi

# ---- 12. Over the network --------------------------------------------------
# The hubs run cdsyncd on this machine (127.0.0.1, ports picked at run
# time); the school's link to its district goes through faultproxy, which
# cuts it every 2 KiB (a spring's records make a bundle of a few KiB), as
# a hillside 3G signal would.  What the school
# records goes up by itself, resuming after each cut, and the district's
# signed receipts come back.
say "12. Qua mạng: máy cấp trên chạy cdsyncd; gói của trường tự lên dù đường truyền liên tục bị cắt" \
    "12. Over the network: the hubs run cdsyncd; the school's bundles go up by themselves over a link that keeps being cut"
bindir="${CDSYNC_BIN_DIR:-$(dirname "$(command -v cdsync)")}"
await_port() {		# await_port HOME: the port its cdsyncd listens on
	local i
	for i in $(seq 1 200); do
		[ -s "$1/cdsyncd.port" ] && { cat "$1/cdsyncd.port"; return 0; }
		sleep 0.05
	done
	echo "demo: cdsyncd did not start in $1" >&2
	return 1
}
echo "listen = 127.0.0.1:0" >"$national/cdsyncd.conf"
"$bindir/cdsyncd" --home "$national" 2>"$work/national.log" & daemons+=($!)
nport=$(await_port "$national")
printf 'listen = 127.0.0.1:0\nupstream = http://127.0.0.1:%s/\ninterval = 1\nbackoff_base = 1\nbackoff_cap = 2\n' \
	"$nport" >"$district/cdsyncd.conf"
"$bindir/cdsyncd" --home "$district" 2>"$work/district.log" & daemons+=($!)
dport=$(await_port "$district")
up=$dport
if [ -x "$bindir/faultproxy" ]; then
	"$bindir/faultproxy" --listen 127.0.0.1:0 --to "127.0.0.1:$dport" \
		--cut-every 2048 --max-seconds 300 >"$work/proxy.out" 2>"$work/proxy.err" &
	daemons+=($!)
	for i in $(seq 1 100); do grep -q '^port ' "$work/proxy.out" && break; sleep 0.05; done
	up=$(sed -n 's/^port //p' "$work/proxy.out")
fi
echo "upstream = http://127.0.0.1:$up/" >"$home/cdsyncd.conf"
# what the school records over the spring: monthly union meetings and a
# gift for every member on 8 March
for m in 3 4 5 6 7; do
	"$bin" activity add --held-on "2026-0$m-05" --kind propaganda \
		--title "Sinh hoạt công đoàn tháng $m: phổ biến chế độ chính sách mới" >/dev/null
done
benefits=()
for i in $(seq 1 38); do benefits+=(--benefit "$(printf 'M%03d' "$i")=150.000"); done
"$bin" activity add --held-on 2026-03-08 --kind care --programme cam_on_nld \
	--title "Quà 8/3 cho đoàn viên" --cost 5.700.000 --funding union \
	"${benefits[@]}" >/dev/null
rounds=0 rc=3
while [ $rc -eq 3 ] && [ $rounds -lt 40 ]; do
	set +e
	"$bindir/cdsyncd" --once 2>>"$work/school.log"
	rc=$?
	set -e
	rounds=$((rounds + 1))
done
[ $quiet -eq 1 ] || sed 's/^/  /' "$work/school.log" | cut -c1-150
if [ $rc -ne 0 ]; then
	echo "demo: the school's bundles did not all get up (exit $rc)" >&2
	exit 1
fi
want=$("$bin" kpi --period 2025-2026 --json | grep -v '"org"')
got=""
for i in $(seq 1 150); do
	got=$("$bin" --home "$national" kpi --org HG-VX-TH-LUNGCU --period 2025-2026 --json 2>/dev/null | grep -v '"org"' || true)
	[ "$got" = "$want" ] && break
	sleep 0.2
done
stop_daemons
if [ "$got" != "$want" ]; then
	echo "demo: the national hub does not have the school's figures after the network sync" >&2
	exit 1
fi
[ $quiet -eq 1 ] || run status
if [ $en -eq 1 ]; then echo "✓ over the network, in $rounds rounds of a cut link: the national hub has the school's figures"
else echo "✓ qua mạng, sau $rounds lượt trên đường truyền bị cắt: trung ương có số liệu của trường"; fi

# ---- 13. A network of schools, with their phones ----------------------------
# A tree of its own on this machine: a national hub, two district hubs and
# six schools, each school with two phones paired with it.  The phones
# record and sync with their school over the LAN (IPC here: they are on
# the same machine); the schools' daemons send up to their district and
# the districts' to the national hub, every link through faultproxy
# cutting it every 4 KiB.  One school has no internet at all: its
# bundles go to the district on a USB stick, and the receipts come back
# on it.  At the end the national hub's KPI table must equal the sum of
# the six schools' own tables.
say "13. Cả một mạng lưới: trung ương, 2 huyện, 6 trường, mỗi trường 2 điện thoại; mọi đường truyền bị cắt liên tục, một trường chỉ có USB" \
    "13. A whole network: a national hub, 2 districts, 6 schools with 2 phones each; every link keeps being cut, one school has only a USB stick"
net="$home/net"
NN="$net/VN"
q() { "$bin" --home "$@" >/dev/null; }	# quiet: the demo says what matters
q "$NN" init --role national --org VN --name "Công đoàn Giáo dục Việt Nam"
nroot=$("$bin" --home "$NN" catalog show | fpr)
enrol() {		# enrol HOME PARENT_HOME: the whole enrolment, quietly
	local f
	f=$("$bin" --home "$1" enrol request --out "$net/req.cdsq" | fpr)
	q "$2" enrol approve "$net/req.cdsq" --fingerprint "$f" --out "$net/ans.cdsa"
	q "$1" catalog import "$net/ans.cdsa" --root-fingerprint "$nroot"
}
# an auditor, enrolled by the national union before anyone below: every
# bundle sealed in this network is encrypted to it too (step 17)
q "$net/KT" init --role auditor --org KT-VN --name "Kiểm toán viên" --parent VN
enrol "$net/KT" "$NN"
dists=(HG-QB HG-YM)
dname=("Công đoàn Giáo dục huyện Quản Bạ" "Công đoàn Giáo dục huyện Yên Minh")
schools=(HG-QB-TH-CANTY HG-QB-TH-LUNGTAM HG-QB-THCS-TUNGVAI HG-YM-TH-DUGIA HG-YM-TH-NAKHE HG-YM-THCS-BACHDICH)
sname=("Trường Tiểu học Cán Tỷ" "Trường Tiểu học Lùng Tám" "Trường THCS Tùng Vài" \
       "Trường Tiểu học Du Già" "Trường Tiểu học Na Khê" "Trường THCS Bạch Đích")
usb_only=HG-YM-THCS-BACHDICH
for i in 0 1; do
	q "$net/${dists[$i]}" init --role hub --org "${dists[$i]}" --name "${dname[$i]}" --parent VN
	enrol "$net/${dists[$i]}" "$NN"
done
RANDOM=2026
for i in $(seq 0 5); do
	c=${schools[$i]} h="$net/${schools[$i]}"
	q "$h" init --role school --org "$c" --name "${sname[$i]}" --parent "${dists[$((i / 3))]}"
	enrol "$h" "$net/${dists[$((i / 3))]}"
	n=$((8 + RANDOM % 10))
	{
		echo "Mã;Họ và tên;Giới tính;Năm sinh"
		for k in $(seq 1 "$n"); do
			printf 'M%03d;%s Thị %s %d;Nữ;%d\n' "$k" "${fam[RANDOM % ${#fam[@]}]}" \
				"${fem[RANDOM % ${#fem[@]}]}" "$k" $((1970 + RANDOM % 30))
		done
	} >"$net/$c.csv"
	q "$h" member import "$net/$c.csv"
	q "$h" plan add --year 2025-2026 --title "Kế hoạch hoạt động công đoàn năm học 2025-2026"
	q "$h" activity add --held-on 2025-11-20 --kind culture --participants "$n" \
		--title "Mít tinh kỷ niệm Ngày Nhà giáo Việt Nam 20/11"
	# two phones, paired once with a code the school node shows
	for p in 1 2; do
		ph="$net/$c-phone$p"
		q "$ph" init --role client --org "$c" --name "${sname[$i]}"
		code=$("$bin" --home "$h" pair code | grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}' | head -1)
		q "$ph" pair request --code "$code" --device "Điện thoại $p" --out "$net/p.cdsp"
		q "$h" pair approve "$net/p.cdsp" --out "$net/p.cdsc"
		q "$ph" pair finish "$net/p.cdsc"
	done
done
proxy_to() {		# proxy_to PORT: a faultproxy cutting every 4 KiB; its port
	local out="$net/proxy-$1.out" i
	"$bindir/faultproxy" --listen 127.0.0.1:0 --to "127.0.0.1:$1" \
		--cut-every 4096 --max-seconds 300 >"$out" 2>/dev/null &
	daemons+=($!)
	for i in $(seq 1 100); do grep -q '^port ' "$out" && break; sleep 0.05; done
	sed -n 's/^port //p' "$out"
}
echo "listen = 127.0.0.1:0" >"$NN/cdsyncd.conf"
"$bindir/cdsyncd" --home "$NN" 2>"$net/VN.log" & daemons+=($!)
nup=$(proxy_to "$(await_port "$NN")")
for d in "${dists[@]}"; do
	printf 'listen = 127.0.0.1:0\nupstream = http://127.0.0.1:%s/\ninterval = 1\nbackoff_base = 1\nbackoff_cap = 2\n' \
		"$nup" >"$net/$d/cdsyncd.conf"
	"$bindir/cdsyncd" --home "$net/$d" 2>"$net/$d.log" & daemons+=($!)
done
for i in 0 1; do dup[$i]=$(proxy_to "$(await_port "$net/${dists[$i]}")"); done
for i in $(seq 0 5); do
	c=${schools[$i]}
	echo "lan = ipc://$net/$c.lan" >"$net/$c/cdsyncd.conf"
	[ "$c" = $usb_only ] ||
		printf 'upstream = http://127.0.0.1:%s/\ninterval = 1\nbackoff_base = 1\nbackoff_cap = 2\n' \
			"${dup[$((i / 3))]}" >>"$net/$c/cdsyncd.conf"
	"$bindir/cdsyncd" --home "$net/$c" 2>"$net/$c.log" & daemons+=($!)
done
for c in "${schools[@]}"; do
	for i in $(seq 1 100); do grep -q "devices sync at" "$net/$c.log" && break; sleep 0.05; done
done
# The phones take the school's records, record their own (the chair's
# phone a visit to a sick member, the other a gift to two members), both
# fix the same activity offline, and sync again until all agree.
for c in "${schools[@]}"; do
	for p in 1 2; do q "$net/$c-phone$p" sync --lan "ipc://$net/$c.lan"; done
	q "$net/$c-phone1" activity add --held-on 2026-01-12 --kind care --cost 300.000 \
		--funding union --title "Thăm đoàn viên ốm" --benefit M001=300.000
	q "$net/$c-phone2" activity add --held-on 2026-02-02 --kind care --programme tet_sum_vay \
		--funding mixed --title "Quà Tết Sum vầy" --benefit M002=500.000 --benefit M003=500.000
	act=$("$bin" --home "$net/$c-phone1" activity list --period 2025-2026 --json |
		grep -B3 '"title": "Mít tinh' | grep -oE '[0-9a-f]{32}' | head -1)
	q "$net/$c-phone1" activity edit "$act" --note "Có mời hưu trí"
	q "$net/$c-phone2" activity edit "$act" --participants 40
	for p in 1 2 1; do q "$net/$c-phone$p" sync; done
done
c=${schools[0]}
[ $quiet -eq 1 ] || {
	printf '\033[2m$ cdsync --home net/%s-phone2 sync\033[0m\n' "$c"
	"$bin" --home "$net/$c-phone2" sync
	printf '\033[2m$ cdsync --home net/%s-phone2 status\033[0m\n' "$c"
	"$bin" --home "$net/$c-phone2" status
}
for c in "${schools[@]}"; do
	act=$("$bin" --home "$net/$c" activity list --period 2025-2026 --json |
		grep -B3 '"title": "Mít tinh' | grep -oE '[0-9a-f]{32}' | head -1)
	x=$("$bin" --home "$net/$c-phone1" activity show "$act" --json | grep -E '"(note|participants)"')
	y=$("$bin" --home "$net/$c-phone2" activity show "$act" --json | grep -E '"(note|participants)"')
	z=$("$bin" --home "$net/$c" activity show "$act" --json | grep -E '"(note|participants)"')
	if [ "$x" != "$y" ] || [ "$x" != "$z" ] || ! grep -q '"participants": 40' <<<"$x" ||
	   ! grep -q 'Có mời hưu trí' <<<"$x"; then
		echo "demo: the phones of $c did not converge on the activity both edited" >&2
		exit 1
	fi
done
if [ $en -eq 1 ]; then echo "✓ 12 phones synced with their schools; two edits of the same activity converged everywhere"
else echo "✓ 12 điện thoại đã đồng bộ với trường; hai lần sửa cùng một hoạt động đã thống nhất ở mọi nơi"; fi
# The school without internet: its bundles go on the stick, and the
# district's receipts come back on it.
stick="$net/usb-$usb_only"
q "$net/$usb_only" export --out "$stick"
q "$net/HG-YM" import "$stick"
q "$net/HG-YM" export --out "$stick"
"$bin" --home "$net/$usb_only" import "$stick" >"$net/usb-back.txt"
[ $quiet -eq 1 ] || grep "receipt-$usb_only-" "$net/usb-back.txt" || true
if [ "$("$bin" --home "$net/$usb_only" status --json | grep -c '"outbox": 0')" -ne 1 ]; then
	echo "demo: the school on USB did not get its receipts back on the stick" >&2
	exit 1
fi
# the national KPI table, once every school's figures are there
kpinums() {		# kpinums HOME [--org CODE]: "id num den" lines
	"$bin" --home "$@" kpi --period 2025-2026 --json |
		awk '/"id":/ { gsub(/[",]/, "", $2); id = $2 }
		     /"num":/ { gsub(/,/, "", $2); n = $2 }
		     /"den":/ { gsub(/,/, "", $2); if (id ~ /^P(3|2\.U)\./) print id, n, $2 }'
}
for c in "${schools[@]}"; do kpinums "$net/$c"; done |
	awk '{ n[$1] += $2; d[$1] += $3; if (!($1 in o)) { o[$1] = ++k; ids[k] = $1 } }
	     END { for (i = 1; i <= k; i++) print ids[i], n[ids[i]], d[ids[i]] }' >"$net/sum.txt"
for i in $(seq 1 300); do
	kpinums "$NN" >"$net/national.txt" 2>/dev/null || true
	cmp -s "$net/sum.txt" "$net/national.txt" && break
	sleep 0.2
done
# The districts witness the national hub's log: each round they check
# that its newest checkpoint extends the one they cosigned before, cosign
# it and send the cosignature back; the national hub's audit pack then
# carries its log as both districts saw it (audited in step 17).
jnum() { grep -o "\"$1\": [0-9]*" | head -1 | grep -o '[0-9]*$'; }
for i in $(seq 1 300); do
	st=$("$bin" --home "$NN" status --json 2>/dev/null || true)
	[ "$(jnum witnesses <<<"$st")" = "${#dists[@]}" ] &&
		[ "$(jnum witnessed_size <<<"$st")" = "$(jnum log_size <<<"$st")" ] && break
	sleep 0.2
done
[ $quiet -eq 1 ] || "$bin" --home "$NN" status | grep -E "^(Log|Nhật ký)" || true
if [ "$(jnum witnesses <<<"$st")" != "${#dists[@]}" ]; then
	echo "demo: the districts did not cosign the national hub's log" >&2
	exit 1
fi
q "$NN" audit pack --out "$net/pack-VN"
stop_daemons
if ! cmp -s "$net/sum.txt" "$net/national.txt"; then
	echo "demo: the national KPI table is not the sum of the schools' (diff below)" >&2
	diff "$net/sum.txt" "$net/national.txt" >&2 || true
	exit 1
fi
[ $quiet -eq 1 ] || {
	at "$NN" kpi --period 2025-2026 | sed -n '1,20p'
	if [ $en -eq 1 ]; then printf '%-20s %15s %15s\n' KPI "national hub" "sum of schools"
	else printf '%-20s %15s %15s\n' "Chỉ tiêu" "trung ương" "tổng các trường"; fi
	paste -d' ' "$net/national.txt" "$net/sum.txt" |
		awk '{ printf "%-20s %15s %15s\n", $1, $2 "/" $3, $5 "/" $6 }'
}
if [ $en -eq 1 ]; then echo "✓ both districts cosigned the national hub's log as witnesses: it cannot show another history to others unnoticed"
else echo "✓ cả hai huyện đã ký xác nhận nhật ký của trung ương: trung ương không thể cho người khác xem một lịch sử khác mà không bị phát hiện"; fi
if [ $en -eq 1 ]; then echo "✓ the national KPI table is the sum of the 6 schools' own tables (5 over cut links, 1 by USB stick)"
else echo "✓ bảng chỉ tiêu của trung ương bằng tổng bảng của 6 trường (5 trường qua đường truyền bị cắt, 1 trường bằng USB)"; fi

# ---- 14. The report people read ----------------------------------------------
# The national hub writes the report of the year: every KPI for the
# national union and for each province or district under it, with
# charts, the schools that have not reported, the trend over the term;
# as one HTML page (open it in a browser, on a phone too) and as an Excel
# workbook; and the mid-term review of the programmes.
say "14. Báo cáo: trung ương lập báo cáo năm học (HTML, Excel) và báo cáo sơ kết" \
    "14. Reports: the national hub writes the school year's report (HTML, Excel) and the mid-term review"
out="${CDSYNC_DEMO_OUT:-$home}"
mkdir -p "$out"
at "$NN" report --period 2025-2026 --out "$out/bao-cao-2025-2026.html"
at "$NN" report --period 2025-2026 --out "$out/bao-cao-2025-2026.xlsx"
at "$NN" report --preset midterm --out "$out/so-ket-giua-ky.html"
at "$NN" report --org HG-QB --period 2025-2026 --format csv --out "$out/bao-cao-HG-QB.csv"
for f in bao-cao-2025-2026.html bao-cao-2025-2026.xlsx so-ket-giua-ky.html bao-cao-HG-QB.csv; do
	if [ ! -s "$out/$f" ]; then echo "demo: the report $f was not written" >&2; exit 1; fi
done
if ! grep -q "<svg" "$out/bao-cao-2025-2026.html" ||
   [ "$(grep -c "HG-QB" "$out/bao-cao-HG-QB.csv")" -lt 1 ]; then
	echo "demo: the reports lack their charts or their rows" >&2
	exit 1
fi
if [ $en -eq 1 ]; then echo "✓ the reports are in $out: bao-cao-2025-2026.html (open it in a browser), .xlsx, so-ket-giua-ky.html, bao-cao-HG-QB.csv"
else echo "✓ các báo cáo ở $out: bao-cao-2025-2026.html (mở bằng trình duyệt), .xlsx, so-ket-giua-ky.html, bao-cao-HG-QB.csv"; fi

# ---- 15. The nightly rollup ---------------------------------------------------
# Each night the national hub counts every KPI of every union for every
# period of the term; the next nights count again only the unions whose
# records changed.  A record from the school on USB arrives, and the
# rollup adds it to that school's figures and those above, and counts
# nothing again.
say "15. Tổng hợp hằng đêm: trung ương tính mọi chỉ tiêu của mọi đơn vị cho cả nhiệm kỳ; đêm sau chỉ tính lại nơi có thay đổi" \
    "15. The nightly rollup: the national hub counts every KPI of every unit for the whole term; the next night only what changed"
at "$NN" rollup
q "$net/$usb_only" activity add --held-on 2026-03-08 --title "Gặp mặt 8/3" --kind culture
q "$net/$usb_only" export --out "$stick"
q "$net/HG-YM" import "$stick"
q "$net/HG-YM" export --out "$net/usb-HG-YM"
q "$NN" import "$net/usb-HG-YM"
at "$NN" rollup
if ! "$bin" --home "$NN" rollup --json | grep -q '"recomputed": 0'; then
	echo "demo: a rollup right after another counted something again" >&2
	exit 1
fi
for c in VN HG-YM "$usb_only"; do
	a=$("$bin" --home "$NN" kpi --org "$c" --period 2025-2026 --json | grep -v '"org"')
	b=$("$bin" --home "$NN" kpi --org "$c" --period 2025-2026 --rollup --json | grep -v '"org"')
	if [ "$a" != "$b" ]; then
		echo "demo: the rollup's figures of $c differ from the KPIs counted from the records" >&2
		exit 1
	fi
done
at "$NN" kpi --period 2023-2028 --rollup | sed -n '1,6p'
# the report of the term, its figures read from the rollup: at once
at "$NN" report --period 2023-2028 --rollup --out "$out/bao-cao-nhiem-ky.html"
a=$("$bin" --home "$NN" report --period 2025-2026 --format json)
b=$("$bin" --home "$NN" report --period 2025-2026 --format json --rollup)
if [ "$a" != "$b" ] || ! grep -q "<svg" "$out/bao-cao-nhiem-ky.html"; then
	echo "demo: the report from the rollup differs from the report counted from the records" >&2
	exit 1
fi
if [ $en -eq 1 ]; then echo "✓ the rollup's figures equal those counted from the records, for the nation, the district and the school; the term's report from the rollup: bao-cao-nhiem-ky.html"
else echo "✓ số liệu tổng hợp bằng số liệu tính trực tiếp từ dữ liệu, ở trung ương, huyện và trường; báo cáo cả nhiệm kỳ từ số liệu tổng hợp: bao-cao-nhiem-ky.html"; fi

# ---- 16. Signed figures, checked above -------------------------------------
# A district hub signs the figures of its rollup for itself and every
# school under it, naming the bundles they come from and a checkpoint of
# its log.  The national hub takes the checkpoint (consistent with the
# ones it took before), then counts the same figures again from the
# schools' bundles it merged itself, cell by cell.  The daemons did the
# same over the network in step 13, after their nightly rollup.
say "16. Số liệu có chữ ký: huyện ký số liệu tổng hợp, trung ương tính lại từ các gói dữ liệu của trường để đối chiếu" \
    "16. Signed figures: the district signs its rollup, the national hub counts them again from the schools' bundles"
at "$net/HG-YM" snapshot make
q "$net/HG-YM" export --out "$net/usb-snapshot"
at "$NN" import "$net/usb-snapshot" | grep -F '.cdss' || true
at "$NN" snapshot list | sed -n '1,6p'
if ! "$bin" --home "$NN" snapshot list --json | grep -q '"state": "same"' ||
   "$bin" --home "$NN" snapshot list --json | grep -q '"state": "differs"'; then
	echo "demo: a district's signed figures do not match its schools' bundles" >&2
	exit 1
fi
if [ $en -eq 1 ]; then echo "✓ the districts' signed figures are the ones the national hub counts from the schools' bundles"
else echo "✓ số liệu có chữ ký của huyện đúng bằng số liệu trung ương tính lại từ các gói dữ liệu của trường"; fi

# ---- 17. The audit -------------------------------------------------------------
# An inspector gets the district's stick and the national catalog, and
# trusts nobody who carried them: only the root, by its fingerprint.
say "17. Kiểm toán: kiểm tra USB của huyện và danh bạ quốc gia, chỉ tin dấu vân tay của gốc" \
    "17. The audit: the district's stick and the national catalog, trusting only the root's fingerprint"
# The auditor's node (enrolled in step 13) opens the bundles too, and
# counts the district's signed figures again from them.
q "$NN" catalog export --out "$net/usb-snapshot/catalog-VN.cdsa"
at "$net/KT" audit "$net/usb-snapshot" --root-fingerprint "$nroot" --recount
if ! "$bin" --home "$net/KT" audit "$net/usb-snapshot" --root-fingerprint "$nroot" --recount --json |
	grep -q '"not_recounted": 0'; then
	echo "demo: the audit of the district's stick failed" >&2
	exit 1
fi
if [ $en -eq 1 ]; then echo "✓ the audit of the district's files: every signature, chain, receipt and checkpoint holds, and the district's signed figures are the ones its schools' bundles give"
else echo "✓ kiểm toán tệp của huyện: mọi chữ ký, chuỗi gói, biên nhận và điểm kiểm tra đều đúng, và số liệu có chữ ký của huyện đúng bằng số liệu từ gói dữ liệu của các trường"; fi
# The national hub's audit pack (step 13): every bundle it logged must be
# in a tree of its log that both districts cosigned as witnesses, and the
# districts' signed figures it took are counted again from the bundles.
at "$net/KT" audit "$net/pack-VN" --root-fingerprint "$nroot" --witnesses 2 --recount
a=$("$bin" --home "$net/KT" audit "$net/pack-VN" --root-fingerprint "$nroot" --witnesses 2 --recount --json || true)
if ! grep -q '"ok": true' <<<"$a" || ! grep -q '"not_recounted": 0' <<<"$a" ||
   grep -q '"recounted": 0' <<<"$a"; then
	echo "demo: the audit of the national hub's pack with its witnesses failed" >&2
	exit 1
fi
if [ $en -eq 1 ]; then echo "✓ the audit of the national hub's pack: every bundle it logged is in a tree of its log both districts cosigned, and both districts' signed figures are the ones their schools' bundles give"
else echo "✓ kiểm toán gói kiểm toán của trung ương: mọi gói dữ liệu trung ương ghi nhận đều nằm trong nhật ký được cả hai huyện ký xác nhận, và số liệu có chữ ký của hai huyện đúng bằng số liệu từ gói dữ liệu của các trường"; fi

if [ $keep -eq 1 ] && [ $quiet -eq 0 ]; then
	echo
	if [ $en -eq 1 ]; then
		echo "The node's home is $home (CDSYNC_HOME=$home cdsync --help)."
	else
		echo "Dữ liệu của máy nằm ở $home (CDSYNC_HOME=$home cdsync --help)."
	fi
fi

#!/usr/bin/env bash
# disk_test.sh -- a disk that fails: ENOSPC (and a disk that stays full),
# EIO and short writes on every write, fsync and rename that recording,
# exporting and taking bundles in make (tests/tools/faultfs.so, an
# LD_PRELOAD shim).  For each point: the command succeeds or fails with a
# message that says what the disk did (never a crash), the store passes
# integrity_check and holds exactly what the command reported (nothing
# half-written, nothing a failure claimed), and once the disk is well the
# same command succeeds.  Exported bundles are checked by a hub taking
# them in.
set -euo pipefail
B="$CDSYNC_BIN_DIR"
T="$(mktemp -d "${TMPDIR:-/tmp}/cdsync-disk-XXXXXX")"
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
export LANG=en LANGUAGE= LC_ALL=
export CDSYNC_PASSPHRASE="mat-khau-cua-may"
pass=0 fail=0 points=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1" >&2; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
cds() { "$B/cdsync" "$@"; }
shim="$B/faultfs.so"
# sick OP:N:ERR CMD...: the command on a failing disk; $rc, $T/err
sick() {
	local f="$1"
	shift
	set +e
	FAULTFS="$f" LD_PRELOAD="$shim" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		"$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	points=$((points + 1))
}
# the points tried of TOTAL: all of the first 12, then every 5th and the
# last (DISK_ALL=1: every one, by hand)
points_of() {
	local t="$1" i
	for i in $(seq 1 "$t"); do
		if [ -n "${DISK_ALL:-}" ] || [ "$i" -le 12 ] || [ $((i % 5)) -eq 0 ] ||
		   [ "$i" -eq "$t" ]; then
			echo "$i"
		fi
	done
}
# counts OP CMD...: how many calls of OP the command makes on a good disk
counts() {
	local op="$1"
	shift
	FAULTFS_COUNT="$T/count" LD_PRELOAD="$shim" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		"$@" >/dev/null 2>&1
	sed -n "s/.*$op \([0-9]*\).*/\1/p" "$T/count"
}
sq() { sqlite3 -readonly "$1/store.db" "$2"; }
integrity() { [ "$(sq "$1" 'PRAGMA integrity_check')" = ok ]; }
# a message that says what the disk did (ours or SQLite's, translated)
clear_msg() {
	grep -qE "the disk is full: free some space|the disk failed to read or write|disk I/O error|database or disk is full|failed: (No space left on device|Input/output error|Disk quota exceeded)" "$T/err"
}

S="$T/school" H="$T/hub"
cds --home "$S" init --role school --org HG-VX-TH-LUNGCU --name "Trường Tiểu học Lũng Cú" --parent HG-VX >/dev/null
cds --home "$H" init --role hub --org HG-VX --name "Công đoàn Giáo dục huyện Vị Xuyên" >/dev/null
cds --home "$S" keys >"$T/s.keys"; cds --home "$H" peer add "$T/s.keys" >/dev/null
cds --home "$H" keys >"$T/h.keys"; cds --home "$S" peer add "$T/h.keys" --upstream >/dev/null
n=0
add() {	# add [WRAPPER...]: records activity number n+1 on the school
	"$@" "$B/cdsync" --home "$S" activity add --held-on 20/01/2026 --kind care \
		--title "Hoạt động $((n + 1))"
}

# ==== Recording ==========================================================
for f in write:ENOSPC write:EIO write:SHORT fsync:EIO; do
	op=${f%%:*} err=${f##*:}
	total=$(counts "$op" "$B/cdsync" --home "$S" activity add --held-on 20/01/2026 \
		--kind care --title "Hoạt động $((n + 1))")
	n=$((n + 1))
	for i in $(points_of "$total"); do
		for sticky in "" "+"; do
			[ "$err" != ENOSPC ] && [ -n "$sticky" ] && continue
			sick "$op:$i$sticky:$err" "$B/cdsync" --home "$S" activity add \
				--held-on 20/01/2026 --kind care --title "Hoạt động $((n + 1))"
			have=$(sq "$S" "SELECT count(*) FROM activity")
			if [ $rc -eq 0 ]; then
				n=$((n + 1))
				check "add, $op $i$sticky $err: success means recorded" '[ "$have" -eq $n ]'
			else
				check "add, $op $i$sticky $err: exit 1 (got $rc)" '[ $rc -eq 1 ]'
				check "add, $op $i$sticky $err: says what the disk did ($(head -1 "$T/err"))" clear_msg
				check "add, $op $i$sticky $err: and that nothing was recorded, or the store could not be opened" \
					'grep -qE "nothing was recorded|^cdsync: $S/store.db: " "$T/err"'
				check "add, $op $i$sticky $err: nothing recorded indeed ($have, $n)" '[ "$have" -eq $n ]'
			fi
			check "add, $op $i$sticky $err: integrity" 'integrity "$S"'
		done
	done
done
add >/dev/null
n=$((n + 1))
check "the disk well again: recording works" '[ "$(sq "$S" "SELECT count(*) FROM activity")" -eq $n ]'

# ==== Exporting (the store seals, the files go to the stick) =============
mkdir -p "$T/stick"
for f in write:ENOSPC write:EIO fsync:EIO rename:EIO; do
	op=${f%%:*} err=${f##*:}
	add >/dev/null; n=$((n + 1))
	rm -rf "$T/probe"; mkdir "$T/probe"
	total=$(counts "$op" "$B/cdsync" --home "$S" export --out "$T/probe")
	# the probe sealed the bundle: the points are those of writing files
	for i in $(points_of "$total"); do
		rm -rf "$T/stick2"; mkdir "$T/stick2"
		sick "$op:$i+:$err" "$B/cdsync" --home "$S" export --out "$T/stick2"
		if [ $rc -ne 0 ]; then
			check "export, $op $i $err: exit 1 (got $rc)" '[ $rc -eq 1 ]'
			check "export, $op $i $err: says what the disk did ($(head -1 "$T/err"))" clear_msg
			check "export, $op $i $err: no half-written bundle" \
				'! ls "$T/stick2" | grep -q "^\."'
		fi
		check "export, $op $i $err: integrity" 'integrity "$S"'
	done
	add >/dev/null; n=$((n + 1))
	sick "$op:1+:$err" "$B/cdsync" --home "$S" export --out "$T/stick"
	check "export on a failing disk ($op $err) fails (exit $rc)" '[ $rc -eq 1 ]'
	check "and leaves no temporary file" '! ls -a "$T/stick" | grep -q "\.tmp-"'
	cds --home "$S" export --out "$T/stick" >/dev/null
	check "the disk well again: export writes every bundle" \
		'[ "$(ls "$T/stick" | grep -c "\.cdsb$")" -eq "$(sq "$S" "SELECT count(*) FROM sync_bundle_out")" ]'
done
seqs=$(sq "$S" "SELECT count(*) FROM sync_bundle_out")
check "bundle numbers without a gap" '[ "$seqs" -eq "$(sq "$S" "SELECT max(seq) FROM sync_bundle_out")" ]'

# ==== Taking bundles in at the hub =======================================
for f in write:ENOSPC write:EIO fsync:EIO; do
	op=${f%%:*} err=${f##*:}
	rm -rf "$T/h2"; cp -r "$H" "$T/h2"
	total=$(counts "$op" "$B/cdsync" --home "$T/h2" import "$T/stick")
	for i in $(points_of "$total"); do
		rm -rf "$T/h2"; cp -r "$H" "$T/h2"
		sick "$op:$i+:$err" "$B/cdsync" --home "$T/h2" import "$T/stick"
		if [ $rc -ne 0 ]; then
			check "import, $op $i $err: exit 1 (got $rc)" '[ $rc -eq 1 ]'
			check "import, $op $i $err: says what the disk did ($(head -1 "$T/err"))" clear_msg
		fi
		check "import, $op $i $err: integrity" 'integrity "$T/h2"'
		got=$(sq "$T/h2" "SELECT count(*) FROM activity")
		check "import, $op $i $err: whole bundles only ($got)" \
			'[ "$got" -eq "$(sq "$T/h2" "SELECT count(*) FROM sync_change WHERE tbl = 5")" ]'
		# the disk well again: the same import finishes the job
		cds --home "$T/h2" import "$T/stick" >/dev/null 2>&1 || true
		check "import, $op $i $err: then every activity, once" \
			'[ "$(sq "$T/h2" "SELECT count(*) FROM activity")" -eq $n ]'
	done
done

echo "$points failure points tried"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

#!/usr/bin/env bash
# install_test.sh -- installs libcdsync into a temporary prefix and builds
# tests/e2e/example.c against it with pkg-config, as an app would; then
# runs it.  Env: CDSYNC_BUILD_DIR, CDSYNC_SOURCE_DIR, CDSYNC_SANITIZE.
set -euo pipefail
prefix=$(mktemp -d "${TMPDIR:-/tmp}/cdsync-install-XXXXXX")
trap 'rm -rf "$prefix"' EXIT
cmake --install "$CDSYNC_BUILD_DIR" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig"
flags=$(pkg-config --cflags --libs cdsync)
san=""
[ -n "${CDSYNC_SANITIZE:-}" ] && san="-fsanitize=$CDSYNC_SANITIZE"
cc -std=c17 -Wall -Wextra -Werror $san "$CDSYNC_SOURCE_DIR/tests/e2e/example.c" \
	$flags -Wl,-rpath,"$prefix/lib" -o "$prefix/example"
test -f "$prefix/include/cdsync/cdsync.h"
# only the public header is installed
[ "$(find "$prefix/include" -name '*.h' | wc -l)" -eq 1 ]
out=$("$prefix/example" "$prefix/store.db")
want="2026-01-20 Tết Sum vầy 500000
P2.U.coverage 100.0%"
if [ "$out" != "$want" ]; then
	echo "install_test: got:"; echo "$out"; echo "wanted:"; echo "$want"
	echo "0 passed, 1 failed"; exit 1
fi
echo "1 passed, 0 failed"

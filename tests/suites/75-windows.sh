#!/usr/bin/env bash
# Windows x86_64 (GNU target), built here with mingw-w64 and run under Wine:
#   - cargo builds bili_qr.dll, its import library libbili_qr.dll.a and bili-qr.exe for x86_64-pc-windows-gnu;
#   - the DLL exports exactly the bili_qr_* functions of the Linux library and imports only Windows system
#     DLLs (no libgcc_s/libwinpthread/libstdc++ to ship beside it);
#   - the header compiles with mingw (C11, -Wpedantic -Werror), tests/c/test_abi.c and README's C examples are
#     built with mingw against the import library, and test_abi.exe passes under Wine against the fake server
#     started on Linux (127.0.0.1);
#   - bili-qr.exe logs in with --demo (its built-in fake server) and against the Linux fake server, and writes
#     the cookies file.
# Wine gap: Wine 8 (Debian bookworm) has no bcryptprimitives.dll, whose ProcessPrng Rust's standard library
# imports; tests/windows/bcryptprimitives.c is a test-only stand-in (ProcessPrng over BCryptGenRandom) copied
# beside the test programs, never shipped. The suite reports whether this Wine still needs it.
# Needs (tests/install-deps.sh installs them): gcc-mingw-w64-x86-64, wine64 (.ci/deps/windows.apt) and the rustup
# target x86_64-pc-windows-gnu (.ci/deps/windows.sh).
set -euo pipefail
root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
server=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}
linux_lib=${BILI_QR_LIBRARY:-$root/target/release/libbili_qr.so}
triple=x86_64-pc-windows-gnu
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "-- $*"; }

cc_win=x86_64-w64-mingw32-gcc
objdump_win=x86_64-w64-mingw32-objdump
command -v "$cc_win" >/dev/null || fail "$cc_win is not installed (.ci/deps/windows.apt: gcc-mingw-w64-x86-64)"
wine=""
for w in wine64 /usr/lib/wine/wine64 wine; do
  if command -v "$w" >/dev/null; then wine=$(command -v "$w"); break; fi
done
[[ -n $wine ]] || fail "wine64 is not installed (.ci/deps/windows.apt)"
installed_targets=$(rustup target list --installed 2>/dev/null || true)
grep -qx "$triple" <<<"$installed_targets" || fail "rustup target $triple is missing (.ci/deps/windows.sh)"
[[ -x $server ]] || fail "missing $server (cargo build --release --workspace)"

step "cargo build --release --target $triple -p bili-qr-capi -p bili-qr-cli"
(cd "$root" && cargo build --release --locked --target "$triple" -p bili-qr-capi -p bili-qr-cli 2>&1 | tail -n 2)
rel="$root/target/$triple/release"
dll="$rel/bili_qr.dll"
implib="$rel/libbili_qr.dll.a"
exe="$rel/bili-qr.exe"
for f in "$dll" "$implib" "$rel/libbili_qr.a" "$exe"; do [[ -f $f ]] || fail "the build did not produce $f"; done

out="$root/target/windows-tests"
rm -rf "$out/run"
mkdir -p "$out/run"

step "exports and imports of bili_qr.dll"
exports=$("$objdump_win" -p "$dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p' | sort)
[[ -n $exports ]] || fail "bili_qr.dll exports nothing"
bad=$(grep -v '^bili_qr_' <<<"$exports" || true)
[[ -z $bad ]] || fail "bili_qr.dll exports more than bili_qr_*: $bad"
if [[ -f $linux_lib ]]; then
  linux_exports=$(nm -D --defined-only "$linux_lib" | awk '$2 == "T" {print $3}' | grep '^bili_qr_' | sort)
  [[ $exports == "$linux_exports" ]] || { diff <(echo "$linux_exports") <(echo "$exports") || true; fail "the DLL and the Linux library export different functions"; }
fi
imports=$("$objdump_win" -p "$dll" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)
system_dlls='^(kernel32|advapi32|bcrypt|bcryptprimitives|ntdll|ws2_32|msvcrt|userenv|crypt32|secur32|ole32|oleaut32|shell32|user32|api-ms-win-[a-z0-9-]+)\.dll$'
bad=$(grep -vE "$system_dlls" <<<"$imports" || true)
[[ -z $bad ]] || fail "bili_qr.dll imports non-system DLLs (would have to be shipped): $bad"
echo "   $(wc -l <<<"$exports") exports (the Linux library's), imports: $(tr '\n' ' ' <<<"$imports")"

step "mingw: header, tests/c/test_abi.c, README's C example, the Wine shim"
cflags=(-std=c11 -Wall -Wextra -Wpedantic -Werror -I"$root/include")
printf '#include "bili_qr.h"\nint main(void){return bili_qr_abi_version()==BILI_QR_ABI_VERSION?0:1;}\n' >"$out/h.c"
"$cc_win" "${cflags[@]}" -c "$out/h.c" -o "$out/h.o"
# winpthreads linked statically, so test_abi.exe needs nothing beside bili_qr.dll.
"$cc_win" "${cflags[@]}" -O1 "$root/tests/c/test_abi.c" -o "$out/run/test_abi.exe" -L"$rel" -lbili_qr \
  -static-libgcc -Wl,-Bstatic -lpthread -Wl,-Bdynamic
# The static library too: its system libraries are the ones the Windows SDK's README lists.
"$cc_win" "${cflags[@]}" -O1 "$root/tests/c/test_abi.c" -o "$out/run/test_abi_static.exe" "$rel/libbili_qr.a" \
  -lws2_32 -lbcrypt -ladvapi32 -lntdll -luserenv -static-libgcc -Wl,-Bstatic -lpthread -Wl,-Bdynamic
static_imports=$("$objdump_win" -p "$out/run/test_abi_static.exe")
if grep -qi 'DLL Name: bili_qr.dll' <<<"$static_imports"; then fail "test_abi_static.exe imports bili_qr.dll"; fi
# Every C example of README.md (each ```c block is one program).
rm -f "$out"/readme_*.c
awk -v dir="$out" '/^```c$/{n++; on=1; next} /^```$/{on=0} on{print > (dir "/readme_" n ".c")}' "$root/README.md"
[[ -s $out/readme_1.c ]] || fail "README.md has no C example"
for example in "$out"/readme_*.c; do
  "$cc_win" -std=c11 -Wall -Wextra -Werror -I"$root/include" "$example" \
    -o "$out/run/$(basename "$example" .c).exe" -L"$rel" -lbili_qr
done
exe_imports=$("$objdump_win" -p "$out/run/test_abi.exe")
grep -qi 'DLL Name: bili_qr.dll' <<<"$exe_imports" || fail "test_abi.exe does not import bili_qr.dll"
"$cc_win" "${cflags[@]}" -O1 "$root/tests/windows/tls_ca.c" -o "$out/run/tls_ca.exe" -L"$rel" -lbili_qr
"$cc_win" -O2 -shared -o "$out/bcryptprimitives.dll" "$root/tests/windows/bcryptprimitives.c" -lbcrypt
cp "$dll" "$exe" "$out/run/"

export WINEPREFIX="$out/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
server_pid=
tls_pid=
cleanup() {
  [[ -z $tls_pid ]] || kill "$tls_pid" 2>/dev/null || true
  [[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true
  [[ -z ${wineserver:-} ]] || "$wineserver" -k >/dev/null 2>&1 || true
  return 0
}
trap cleanup EXIT
# One wineserver for the whole suite: a stale one of an earlier run is stopped first, and this one stays up
# (persistent) until cleanup, so that no wine client connects to a server that is shutting down after its
# idle delay ("wine client error: recvmsg: Connection reset by peer").
wineserver=$(dirname "$wine")/wineserver
[[ -x $wineserver ]] || wineserver=$(command -v wineserver || true)
[[ -n $wineserver ]] || fail "wineserver is not installed (.ci/deps/windows.apt: wine64)"
mkdir -p "$WINEPREFIX"
"$wineserver" -k >/dev/null 2>&1 || true
"$wineserver" -w >/dev/null 2>&1 || true
"$wineserver" -p || fail "cannot start a persistent wineserver for $WINEPREFIX"
[[ -f $WINEPREFIX/system.reg ]] || { step "creating the Wine prefix $WINEPREFIX"; "$wine" wineboot --init >/dev/null 2>&1 || true; }

# Does this Wine still need the shim? (Wine 8: yes. Informational: a newer Wine passes without it.)
if (cd "$out/run" && timeout 120 "$wine" ./bili-qr.exe --version >/dev/null 2>&1); then
  echo "   this Wine runs Rust programs without the shim (it has ProcessPrng)"
else
  echo "   this Wine lacks bcryptprimitives.dll!ProcessPrng: the test-only shim is used"
fi
cp "$out/bcryptprimitives.dll" "$out/run/"
ver=$(cd "$out/run" && timeout 120 "$wine" ./bili-qr.exe --version | tr -d '\r') || fail "bili-qr.exe --version failed under Wine"
version=$(awk '/^\[/{sec=$0} sec=="[workspace.package]" && /^version *=/{gsub(/.*= *"|".*/,""); print; exit}' "$root/Cargo.toml")
[[ $ver == *"$version"* ]] || fail "bili-qr.exe --version says '$ver', want $version"

coproc SERVER { exec "$server" --watch-stdin --quiet; }
server_pid=$SERVER_PID
read -r -t 10 first <&"${SERVER[0]}" || fail "the fake server did not start"
base=${first#listening }
echo "   fake server (Linux) at $base"

step "test_abi.exe under Wine against the Linux fake server"
(cd "$out/run" && timeout 600 "$wine" ./test_abi.exe "$base" >"$out/test_abi.log" 2>&1) || { tail -n 30 "$out/test_abi.log"; fail "test_abi.exe failed under Wine"; }
tr -d '\r' <"$out/test_abi.log" | tail -n 1
grep -qE '^[0-9]+ passed, 0 failed' <(tr -d '\r' <"$out/test_abi.log") || fail "test_abi.exe did not report 0 failures"

step "test_abi_static.exe (libbili_qr.a) under Wine"
(cd "$out/run" && timeout 600 "$wine" ./test_abi_static.exe "$base" >"$out/test_abi_static.log" 2>&1) ||
  { tail -n 30 "$out/test_abi_static.log"; fail "test_abi_static.exe failed under Wine"; }
grep -qE '^[0-9]+ passed, 0 failed' <(tr -d '\r' <"$out/test_abi_static.log") || fail "test_abi_static.exe did not report 0 failures"

step "trust roots on Windows: HTTPS fake server (test CA) refused by default, accepted with ca_file and with SSL_CERT_FILE"
"$server" --quiet --tls-ca-out "$out/run/ca.pem" >"$out/tls-server.out" 2>&1 &
tls_pid=$!
tls_first=""
for _ in $(seq 100); do
  tls_first=$(head -n 1 "$out/tls-server.out")
  [[ $tls_first == listening* ]] && break
  sleep 0.1
done
tls_base=${tls_first#listening }
[[ $tls_base == https://127.0.0.1:* ]] || fail "HTTPS fake server said '$tls_first'"
# The CA file as a Windows path (Wine maps Z: to /; Windows takes forward slashes, which JSON needs no escape for).
ca_win="Z:$out/run/ca.pem"
(cd "$out/run" && timeout 120 "$wine" ./tls_ca.exe "$tls_base" "$ca_win" >"$out/tls_ca.log" 2>&1) ||
  { tr -d '\r' <"$out/tls_ca.log"; fail "tls_ca.exe: the trust roots misbehave on Windows"; }
tr -d '\r' <"$out/tls_ca.log" | sed 's/^/   /'
(cd "$out/run" && SSL_CERT_FILE="$ca_win" timeout 120 "$wine" ./tls_ca.exe "$tls_base" "$ca_win" default-trusted \
  >"$out/tls_ca_env.log" 2>&1) || { tr -d '\r' <"$out/tls_ca_env.log"; fail "tls_ca.exe: SSL_CERT_FILE is not honoured on Windows"; }
echo "   with SSL_CERT_FILE: $(tr -d '\r' <"$out/tls_ca_env.log" | head -n 1)"
kill "$tls_pid" 2>/dev/null || true

step "bili-qr.exe login --demo under Wine"
rm -f "$out/run/demo.txt"
(cd "$out/run" && timeout 180 "$wine" ./bili-qr.exe login --demo --cookies demo.txt >"$out/demo.log" 2>&1) ||
  { cat "$out/demo.log"; fail "bili-qr.exe login --demo failed"; }
grep -q 'SESSDATA' "$out/run/demo.txt" || fail "bili-qr.exe --demo wrote no SESSDATA"

step "bili-qr.exe login against the Linux fake server"
rm -f "$out/run/cookies.txt"
(cd "$out/run" && timeout 180 "$wine" ./bili-qr.exe login --base-url "$base/s/id=win-cli,flow=wsc" --poll-interval 200ms \
  --cookies cookies.txt >"$out/cli.log" 2>&1) || { cat "$out/cli.log"; fail "bili-qr.exe login failed"; }
grep -q 'SESSDATA' "$out/run/cookies.txt" || fail "bili-qr.exe wrote no SESSDATA"
# A second login replaces the file (the atomic rename over an existing file) and leaves no temporary file.
first_sum=$(sha256sum <"$out/run/cookies.txt")
(cd "$out/run" && timeout 180 "$wine" ./bili-qr.exe login --base-url "$base/s/id=win-cli2,flow=wsc" --poll-interval 200ms \
  --force --cookies cookies.txt >>"$out/cli.log" 2>&1) || { cat "$out/cli.log"; fail "bili-qr.exe login (replacing) failed"; }
[[ $(sha256sum <"$out/run/cookies.txt") != "$first_sum" ]] || fail "the second login did not replace cookies.txt"
grep -q 'SESSDATA' "$out/run/cookies.txt" || fail "the replaced cookies.txt has no SESSDATA"
leftover=$(find "$out/run" -maxdepth 1 \( -name '*.tmp' -o -name '.cookies.txt*' \))
[[ -z $leftover ]] || fail "temporary files left: $leftover"
# check and logout (cli/src/saved.rs): a renewal rewrites the file with MoveFileExW; logout --remove deletes it.
renewed_sum=$(sha256sum <"$out/run/cookies.txt")
(cd "$out/run" && timeout 180 "$wine" ./bili-qr.exe check --cookies cookies.txt --api-base-url "$base/s/renew=1,id=win-renew" \
  >"$out/cli-check.log" 2>&1) || { cat "$out/cli-check.log"; fail "bili-qr.exe check failed"; }
grep -q 'renewed the session' "$out/cli-check.log" || { cat "$out/cli-check.log"; fail "bili-qr.exe check did not save the renewal"; }
[[ $(sha256sum <"$out/run/cookies.txt") != "$renewed_sum" ]] || fail "bili-qr.exe check did not rewrite cookies.txt"
(cd "$out/run" && timeout 180 "$wine" ./bili-qr.exe logout --cookies cookies.txt --base-url "$base" --remove \
  >>"$out/cli-check.log" 2>&1) || { cat "$out/cli-check.log"; fail "bili-qr.exe logout --remove failed"; }
[[ ! -e $out/run/cookies.txt ]] || fail "bili-qr.exe logout --remove left cookies.txt"
# An expired code is exit status 1 on Windows too.
set +e
(cd "$out/run" && timeout 180 "$wine" ./bili-qr.exe login --base-url "$base/s/id=win-exp,flow=e" --poll-interval 200ms \
  --max-refresh 0 --cookies expired.txt >"$out/cli-expired.log" 2>&1)
rc=$?
set -e
[[ $rc == 1 ]] || { cat "$out/cli-expired.log"; fail "bili-qr.exe: an expired code exited $rc, want 1"; }
[[ ! -e $out/run/expired.txt ]] || fail "bili-qr.exe wrote a cookies file for an expired code"

stripped=$(x86_64-w64-mingw32-strip -o "$out/bili_qr.stripped.dll" "$dll" && stat -c %s "$out/bili_qr.stripped.dll")
echo "windows: bili_qr.dll ($(stat -c %s "$dll") bytes, $stripped stripped), test_abi.exe and bili-qr.exe pass under $("$wine" --version)"

#!/usr/bin/env bash
# C# binding (bindings/csharp/src/): its packages built by bindings/csharp/build-packages.sh (the .nupkg and the
# Unity package), then the tests (bindings/csharp/tests/) compiled against the BiliQr.dll unpacked from the .nupkg
# into a clean directory outside the repository and run with mono against the fake passport server, with the
# package's own native library. Needs the packages in .ci/deps/csharp.apt (mono-mcs, mono-runtime, mono-devel, zip).
set -euo pipefail
root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export BILI_QR_ROOT=$root
lib=${BILI_QR_LIBRARY:-$root/target/release/libbili_qr.so}
export BILI_QR_FAKE_SERVER=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}
for tool in mcs mono zip unzip; do
  command -v "$tool" >/dev/null || { echo "40-csharp: '$tool' not found; install the packages in .ci/deps/csharp.apt"; exit 1; }
done
[[ -f $lib ]] || { echo "40-csharp: $lib not found (cargo build --release)"; exit 1; }
[[ -x $BILI_QR_FAKE_SERVER ]] || { echo "40-csharp: $BILI_QR_FAKE_SERVER not found"; exit 1; }
tests=$root/bindings/csharp/tests

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
version=$(bash "$root/bindings/csharp/cargo-meta.sh" version "$root/Cargo.toml")

echo "-- packages (build-packages.sh)"
BILI_QR_LIBRARY=$lib bash "$root/bindings/csharp/build-packages.sh" "$out/dist"
nupkg=$out/dist/Bilibili.QrLogin.$version.nupkg
[[ -f $nupkg && -f $out/dist/com.bilibili.qrlogin-$version.tgz ]] || { echo "FAIL: the packages were not built"; exit 1; }

echo "-- the .nupkg's layout"
listing=$(unzip -Z1 "$nupkg" | LC_ALL=C sort)
echo "$listing" | sed 's/^/   /'
for want in Bilibili.QrLogin.nuspec '[Content_Types].xml' _rels/.rels lib/netstandard2.0/BiliQr.dll lib/netstandard2.0/BiliQr.xml \
            runtimes/linux-x64/native/libbili_qr.so README.md; do
  grep -qxF "$want" <<<"$listing" || { echo "FAIL: $want missing from the .nupkg"; exit 1; }
done
unzip -p "$nupkg" Bilibili.QrLogin.nuspec | grep -q "<version>$version</version>" || { echo "FAIL: nuspec version is not $version"; exit 1; }
cmp <(unzip -p "$nupkg" runtimes/linux-x64/native/libbili_qr.so) "$lib" || { echo "FAIL: the packed library is not the one built"; exit 1; }
windll=${BILI_QR_WINDOWS_DLL-$root/target/x86_64-pc-windows-gnu/release/bili_qr.dll}
if [[ -n $windll && -f $windll ]]; then
  cmp <(unzip -p "$nupkg" runtimes/win-x64/native/bili_qr.dll) "$windll" || { echo "FAIL: runtimes/win-x64/native/bili_qr.dll is not $windll"; exit 1; }
else
  echo "   (no Windows build here: runtimes/win-x64 not expected)"
fi

echo "-- unpacked into a clean directory; a login with only what the package holds"
clean=$out/clean
mkdir -p "$clean/pkg" "$clean/app"
(cd "$clean/pkg" && unzip -q "$nupkg")
dll=$clean/pkg/lib/netstandard2.0/BiliQr.dll
native=$clean/pkg/runtimes/linux-x64/native
cp "$tests/PackageSmoke.cs" "$clean/app/"
(cd "$clean/app" && mcs -nologo -r:"$dll" -out:PackageSmoke.exe PackageSmoke.cs && cp "$dll" .)
# The fake server for this one login (start_fake_server, stop_fake_server: tests/suites/lib/common.sh).
source "$root/tests/suites/lib/common.sh"
start_fake_server "$out"
smoke=$(cd "$clean/app" && env -i PATH=/usr/bin:/bin HOME="$clean" LD_LIBRARY_PATH="$native" mono PackageSmoke.exe "$base" 2>&1) \
  || { echo "FAIL: package login: $smoke"; exit 1; }
echo "   $smoke"
[[ $smoke == "logged in: mid 8080 (session checked valid),"*"library $version"* ]] || { echo "FAIL: unexpected package login output"; exit 1; }
stop_fake_server

echo "-- 'using System.Net;' beside 'using Bilibili.QrLogin;' compiles (no Cookie clash)"
mcs -nologo -warnaserror+ -target:library -r:"$dll" -r:System.dll -out:"$out/UsingSystemNet.dll" "$tests/UsingSystemNet.cs"

echo "-- bindings/csharp/README.md's mainland example compiles against the package's BiliQr.dll"
# The first csharp code block after the heading "## The mainland site": the documented calls and fields exist.
awk '/^## The mainland site/ {m=1} m && /^```csharp$/ {c=1; next} c && /^```$/ {exit} c {print}' \
  "$root/bindings/csharp/README.md" >"$out/MainlandExample.cs"
grep -q 'BiliQr.RefreshConfirm' "$out/MainlandExample.cs" || { echo "FAIL: no mainland example found in bindings/csharp/README.md"; exit 1; }
mcs -nologo -warnaserror+ -r:"$dll" -out:"$out/MainlandExample.exe" "$out/MainlandExample.cs"

echo "-- the tests, compiled against the package's BiliQr.dll"
mkdir -p "$out/run"
cp "$dll" "$out/run/"
mcs -nologo -warnaserror+ -r:"$out/run/BiliQr.dll" -r:System.Xml.dll -r:System.Core.dll -out:"$out/run/BiliQrTests.exe" \
  "$tests"/Harness.cs "$tests"/*Tests.cs

echo "-- load checks: a missing library and a too old library fail loudly"
mkdir "$out/empty"
set +e
msg=$(cd "$out/run" && LD_LIBRARY_PATH="$out/empty" mono BiliQrTests.exe --abi-probe 2>&1); rc=$?
set -e
echo "   no library: $msg"
[[ $rc -ne 0 && $msg == DllNotFoundException:*"was not found"* ]] || { echo "FAIL: a missing native library must fail with a clear DllNotFoundException"; exit 1; }
if command -v cc >/dev/null; then
  mkdir "$out/stub"
  printf 'int bili_qr_abi_version(void) { return 1; }\n' > "$out/stub/stub.c"
  cc -shared -fPIC -o "$out/stub/libbili_qr.so" "$out/stub/stub.c"
  set +e
  msg=$(cd "$out/run" && LD_LIBRARY_PATH="$out/stub" mono BiliQrTests.exe --abi-probe 2>&1); rc=$?
  set -e
  echo "   ABI 1 stub: $msg"
  [[ $rc -ne 0 && $msg == BiliQrException:*"too old: ABI 1, this binding needs 2"* ]] || { echo "FAIL: a library older than ABI 2 must fail loudly"; exit 1; }
  # An ABI 2 library still loads; Refresh (ABI 3) then fails with a clear message instead of a missing symbol.
  mkdir "$out/stub2"
  cat >"$out/stub2/stub.c" <<'STUB'
#include <stdlib.h>
#include <string.h>
int bili_qr_abi_version(void) { return 2; }
const char *bili_qr_version(void) { return "0.1.9"; }
void bili_qr_free(char *s) { free(s); }
int bili_qr_session_convert_ex(const char *session, const char *format, char **out, char **out_error) {
  (void)session; (void)format;
  if (out_error) *out_error = NULL;
  *out = strdup("{\"mid\":1,\"host\":null,\"cookies\":[],\"cookie_header\":\"SESSDATA=a\"}");
  return 0;
}
STUB
  cc -shared -fPIC -o "$out/stub2/libbili_qr.so" "$out/stub2/stub.c"
  set +e
  msg=$(cd "$out/run" && LD_LIBRARY_PATH="$out/stub2" mono BiliQrTests.exe --refresh-probe 2>&1); rc=$?
  set -e
  echo "   ABI 2 stub, Refresh: $msg"
  [[ $rc -ne 0 && $msg == "BiliQrException: bili_qr: Refresh needs a native library of ABI 3 or newer; the loaded one is ABI 2"* ]] \
    || { echo "FAIL: Refresh with an ABI 2 library must say it needs ABI 3"; exit 1; }
  # A newer library serves this binding (a library of ABI N serves every caller built for <= N).
  mkdir "$out/stub3"
  printf 'int bili_qr_abi_version(void) { return 3; }\nconst char *bili_qr_version(void) { return "9.8.7"; }\n' > "$out/stub3/stub.c"
  cc -shared -fPIC -o "$out/stub3/libbili_qr.so" "$out/stub3/stub.c"
  msg=$(cd "$out/run" && LD_LIBRARY_PATH="$out/stub3" mono BiliQrTests.exe --abi-probe 2>&1)
  echo "   ABI 3 stub: $msg"
  [[ $msg == "loaded 9.8.7" ]] || { echo "FAIL: a newer library (ABI 3) must be accepted"; exit 1; }
else
  # cc comes with .ci/deps/cpp.apt: under CI its absence fails the suite instead of skipping this check.
  [[ ${CI:-} == true ]] && { echo "FAIL: no C compiler (CI=true: the C and C++ suites need one too, .ci/deps/cpp.apt)"; exit 1; }
  echo "   (no C compiler: the too-old-library check skipped)"
fi

echo "-- tests against the fake server (the package's native library)"
cd "$out/run"
BILI_QR_CS_UNITY_DIR="$out/dist/unity/com.bilibili.qrlogin" LD_LIBRARY_PATH="$native" mono --debug BiliQrTests.exe "$@"

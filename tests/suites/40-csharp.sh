#!/usr/bin/env bash
# C# binding (bindings/csharp/BiliQr.cs): compiled with Mono's mcs, tests (tests/csharp/BiliQrTests.cs) run with
# mono against the fake passport server. Needs the packages in .ci/deps/csharp.apt (mono-mcs, mono-runtime).
set -euo pipefail
root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
lib=${BILI_QR_LIBRARY:-$root/target/release/libbili_qr.so}
export BILI_QR_FAKE_SERVER=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}
for tool in mcs mono; do
  command -v "$tool" >/dev/null || { echo "40-csharp: '$tool' not found; install the packages in .ci/deps/csharp.apt"; exit 1; }
done
[[ -f $lib ]] || { echo "40-csharp: $lib not found (cargo build --release)"; exit 1; }
[[ -x $BILI_QR_FAKE_SERVER ]] || { echo "40-csharp: $BILI_QR_FAKE_SERVER not found"; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "-- compiling the binding (warnings are errors) and the tests"
mcs -nologo -warnaserror+ -warn:4 -nowarn:1591,1573 -target:library -doc:"$out/BiliQr.xml" -out:"$out/BiliQr.dll" "$root/bindings/csharp/BiliQr.cs"
mcs -nologo -r:"$out/BiliQr.dll" -r:System.Xml.dll -out:"$out/BiliQrTests.exe" "$root/tests/csharp/BiliQrTests.cs"

echo "-- load checks: a missing library and a library of another ABI version fail loudly"
mkdir "$out/empty"
set +e
msg=$(cd "$out" && LD_LIBRARY_PATH="$out/empty" mono BiliQrTests.exe --abi-probe 2>&1); rc=$?
set -e
echo "   no library: $msg"
[[ $rc -ne 0 && $msg == DllNotFoundException:*"was not found"* ]] || { echo "FAIL: a missing native library must fail with a clear DllNotFoundException"; exit 1; }
if command -v cc >/dev/null; then
  mkdir "$out/stub"
  printf 'int bili_qr_abi_version(void) { return 2; }\n' > "$out/stub/stub.c"
  cc -shared -fPIC -o "$out/stub/libbili_qr.so" "$out/stub/stub.c"
  set +e
  msg=$(cd "$out" && LD_LIBRARY_PATH="$out/stub" mono BiliQrTests.exe --abi-probe 2>&1); rc=$?
  set -e
  echo "   ABI 2 stub: $msg"
  [[ $rc -ne 0 && $msg == BiliQrException:*"ABI version 2"*"needs version 1"* ]] || { echo "FAIL: an ABI mismatch must fail loudly"; exit 1; }
else
  echo "   (no C compiler: ABI-mismatch check skipped)"
fi

echo "-- tests against the fake server"
cd "$out"
LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono --debug BiliQrTests.exe "$@"

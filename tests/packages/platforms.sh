#!/usr/bin/env bash
# The other Linux targets' artifacts of scripts/dist.sh, from DIST alone (called by tests/suites/85-packages.sh
# with cargo and rustc off PATH, a fake server at BILI_QR_FAKE_BASE, BILI_QR_VERSION):
#   - ARM64 (aarch64-unknown-linux-gnu, glibc >= 2.17), run under qemu-user with Debian's arm64 glibc
#     (libc6-arm64-cross) as the sysroot: the held C client tests/c/test_abi.c compiled with aarch64-linux-gnu-gcc
#     against the SDK tarball (shared), a C login linked statically with the SDK's libbili_qr.a, the CLI tarball's
#     bili-qr login, and the aarch64 wheel's CLI;
#   - musl: the static CLI (no PT_INTERP, no NEEDED) logs in; a C program built with musl-gcc against the musllinux
#     wheel's libbili_qr.so runs through Debian's musl loader (/lib/ld-musl-x86_64.so.1) and logs in;
#   - every manylinux2014 wheel: `auditwheel show`-style check that no ELF needs a GLIBC symbol newer than 2.17
#     (the highest version of each file is printed), the right ELF machine per wheel, the same bytes as the SDK's;
#   - npm: prebuilds/linux-arm64 and prebuilds/linux-x64-musl in the tarball, and the loader's choice on this
#     machine (glibc x64) is prebuilds/linux-x64; NuGet: runtimes/linux-arm64/native and linux-musl-x64/native.
# Usage: bash tests/packages/platforms.sh DIST
# Needs: qemu-user, gcc-aarch64-linux-gnu, libc6-arm64-cross, musl-tools (.ci/deps/platforms.apt), node + npm.
set -euo pipefail
[[ $# -eq 1 && -d $1 ]] || { echo "usage: $0 DIST" >&2; exit 2; }
dist=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fail() { echo "FAIL (platforms): $*" >&2; exit 1; }
step() { echo "-- $*"; }
base=${BILI_QR_FAKE_BASE:?set BILI_QR_FAKE_BASE (a running fake server)}
version=${BILI_QR_VERSION:?set BILI_QR_VERSION}
major=${version%%.*}
for tool in qemu-aarch64 aarch64-linux-gnu-gcc musl-gcc readelf objdump unzip; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (.ci/deps/platforms.apt)"
done
sysroot=/usr/aarch64-linux-gnu
[[ -f $sysroot/lib/ld-linux-aarch64.so.1 ]] || fail "no $sysroot/lib/ld-linux-aarch64.so.1 (libc6-arm64-cross)"
musl_ld=$(ls /lib/ld-musl-x86_64.so.1 2>/dev/null || true)
[[ -n $musl_ld ]] || fail "no /lib/ld-musl-x86_64.so.1 (musl)"
if command -v cargo >/dev/null || command -v rustc >/dev/null; then fail "cargo or rustc is on PATH"; fi

t=$(mktemp -d "${TMPDIR:-/tmp}/bili-qr-platforms.XXXXXX")
trap 'rm -rf "$t"' EXIT
n=0
login_line() { # login_line LABEL COMMAND...: runs a C login program, wants "logged in"
  local label=$1
  shift
  n=$((n + 1))
  local out
  out=$(timeout 300 "$@" "$base/s/id=plat-$n,flow=wsc" 2>&1) || { echo "$out"; fail "$label did not log in"; }
  [[ $out == *"logged in"* ]] || { echo "$out"; fail "$label: no login line"; }
  echo "   $label: logged in"
}
cli_login() { # cli_login LABEL COMMAND...: bili-qr login writes a cookies file (0600) with SESSDATA
  local label=$1
  shift
  n=$((n + 1))
  local c="$t/cookies-$n.txt"
  timeout 300 "$@" login --base-url "$base/s/id=plat-cli-$n,flow=wsc" --poll-interval 200ms --cookies "$c" \
    </dev/null >"$t/cli.out" 2>&1 || { cat "$t/cli.out"; fail "$label: login failed"; }
  grep -q SESSDATA "$c" || fail "$label wrote no SESSDATA"
  [[ $(stat -c %a "$c") == 600 ]] || fail "$label: the cookies file is not mode 0600"
  echo "   $label: bili-qr login wrote cookies (0600)"
}
machine() { readelf -h "$1" | sed -n 's/^ *Machine: *//p'; }
glibc_max() { { objdump -T "$1" 2>/dev/null || true; } | { grep -o 'GLIBC_[0-9][0-9.]*' || true; } | sed 's/GLIBC_//' | sort -V | tail -n 1; }
at_most_217() { [[ -z $1 || $(printf '%s\n2.17\n' "$1" | sort -V | tail -n 1) == 2.17 ]]; }
qemu=(env "QEMU_LD_PREFIX=$sysroot" qemu-aarch64)  # an array, not a function: timeout runs it

# ------------------------------------------------------------------ ARM64
asdk_tgz="$dist/bili_qr-$version-linux-aarch64.tar.gz"
acli_tgz="$dist/bili-qr-$version-linux-aarch64.tar.gz"
mcli_tgz="$dist/bili-qr-$version-linux-x86_64-musl.tar.gz"
for f in "$asdk_tgz" "$acli_tgz" "$mcli_tgz"; do [[ -f $f ]] || fail "$(basename "$f") is missing from $dist"; done
step "ARM64 SDK: test_abi.c and a static login with aarch64-linux-gnu-gcc, run under $(qemu-aarch64 --version | head -n 1)"
mkdir -p "$t/arm" && tar -xzf "$asdk_tgz" -C "$t/arm"
A="$t/arm/bili_qr-$version-linux-aarch64"
so="$A/lib/libbili_qr.so.$version"
[[ $(machine "$so") == AArch64 ]] || fail "the ARM64 SDK's library is $(machine "$so")"
[[ $(readlink "$A/lib/libbili_qr.so") == "libbili_qr.so.$major" ]] || fail "the ARM64 SDK lacks the soname symlinks"
need=$(glibc_max "$so")
at_most_217 "$need" || fail "the ARM64 library needs GLIBC_$need (> 2.17)"
echo "   libbili_qr.so.$version: AArch64, highest GLIBC symbol version ${need:-none}"
aarch64-linux-gnu-gcc -std=c11 -O1 -Wall -Wextra -Wpedantic -Werror -I"$A/include" "$root/tests/c/test_abi.c" \
  -o "$t/test_abi" -L"$A/lib" -lbili_qr -lpthread -Wl,-rpath,"$A/lib" || fail "test_abi.c does not build for aarch64"
out=$(timeout 600 env QEMU_LD_PREFIX=$sysroot qemu-aarch64 "$t/test_abi" "$base" 2>&1) ||
  { echo "$out" | tail -n 20; fail "test_abi (aarch64, qemu) failed"; }
summary=$(tail -n 1 <<<"$out")
[[ $summary =~ ^([0-9]+)\ passed,\ 0\ failed$ && ${BASH_REMATCH[1]} -gt 50 ]] || { echo "$out" | tail; fail "test_abi: $summary"; }
echo "   test_abi (aarch64 under qemu-user, shared libbili_qr.so): $summary"
aarch64-linux-gnu-gcc -std=c11 -Wall -Wextra -Werror -I"$A/include" "$root/tests/consumer/main.c" -o "$t/app_static" \
  "$A/lib/libbili_qr.a" $(sed -n 's/^Libs: ${libdir}\/libbili_qr.a //p' "$A/lib/pkgconfig/bili_qr-static.pc") ||
  fail "a static aarch64 program does not link with the SDK's libbili_qr.a"
if readelf -d "$t/app_static" | grep -q 'NEEDED.*libbili_qr'; then fail "the static aarch64 build needs libbili_qr.so"; fi
login_line "C (aarch64, libbili_qr.a, qemu)" "${qemu[@]}" "$t/app_static"

step "ARM64 CLI under qemu-user"
mkdir -p "$t/acli" && tar -xzf "$acli_tgz" -C "$t/acli"
acli="$t/acli/bili-qr-$version-linux-aarch64/bili-qr"
[[ $(machine "$acli") == AArch64 ]] || fail "the ARM64 CLI is $(machine "$acli")"
need=$(glibc_max "$acli")
at_most_217 "$need" || fail "the ARM64 CLI needs GLIBC_$need"
[[ $("${qemu[@]}" "$acli" --version) == *"$version"* ]] || fail "the ARM64 CLI's --version"
cli_login "bili-qr (aarch64, qemu; needs GLIBC_${need:-none})" "${qemu[@]}" "$acli"

# ------------------------------------------------------------------ musl
step "static musl CLI: one file, no interpreter, no shared library"
mkdir -p "$t/mcli" && tar -xzf "$mcli_tgz" -C "$t/mcli"
mcli="$t/mcli/bili-qr-$version-linux-x86_64-musl/bili-qr"
if readelf -l "$mcli" | grep -q 'INTERP'; then fail "the musl CLI has a program interpreter (not static)"; fi
if readelf -d "$mcli" | grep -q 'NEEDED'; then fail "the musl CLI needs shared libraries"; fi
[[ -z $(glibc_max "$mcli") ]] || fail "the musl CLI carries GLIBC symbol versions"
cli_login "bili-qr (x86_64 musl, static, $(stat -c %s "$mcli") bytes)" "$mcli"

# ------------------------------------------------------------------ wheels
step "wheels: tags, ELF machines, GLIBC symbol versions"
declare -A wheel_machine=([manylinux_2_17_x86_64.manylinux2014_x86_64]="Advanced Micro Devices X86-64"
  [manylinux_2_17_aarch64.manylinux2014_aarch64]=AArch64 [musllinux_1_2_x86_64]="Advanced Micro Devices X86-64")
for tag in "${!wheel_machine[@]}"; do
  whl="$dist/bili_qr-$version-py3-none-$tag.whl"
  [[ -f $whl ]] || fail "$(basename "$whl") is missing: $(cd "$dist" && ls ./*.whl)"
  w="$t/whl-$tag"
  mkdir -p "$w" && unzip -q "$whl" -d "$w"
  grep -q "^Tag: py3-none-${tag%%.*}$" "$w/bili_qr-$version.dist-info/WHEEL" || fail "$tag: WHEEL lacks its tag"
  for f in "$w/bili_qr/libbili_qr.so" $(find "$w" -type f -name bili-qr); do
    [[ $(machine "$f") == "${wheel_machine[$tag]}" ]] || fail "$tag: $(basename "$f") is $(machine "$f")"
    need=$(glibc_max "$f")
    echo "   $tag $(basename "$f"): highest GLIBC symbol version ${need:-none}"
    [[ $tag != manylinux* ]] || at_most_217 "$need" || fail "$tag: $(basename "$f") needs GLIBC_$need (> 2.17)"
    [[ $tag != musllinux* || -z $need ]] || fail "$tag: $(basename "$f") needs glibc"
  done
done
w="$t/whl-manylinux_2_17_aarch64.manylinux2014_aarch64"
cmp -s "$w/bili_qr/libbili_qr.so" "$so" || fail "the aarch64 wheel's library is not the ARM64 SDK's"
cli_login "the aarch64 wheel's bili-qr (qemu)" "${qemu[@]}" "$(find "$w" -type f -name bili-qr)"

step "musllinux wheel's libbili_qr.so: a musl-gcc program through Debian's musl loader"
m="$t/whl-musllinux_1_2_x86_64/bili_qr"
needed=$(readelf -d "$m/libbili_qr.so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
for lib in $needed; do
  case "$lib" in libc.so|libc.musl-x86_64.so.1|ld-musl-x86_64.so.1) ;; *) fail "the musl library needs $lib" ;; esac
done
mkdir -p "$t/musllib" && cp "$m/libbili_qr.so" "$t/musllib/"
# The program records the library's soname (libbili_qr.so.MAJOR), the name the loader looks for: the link beside it.
soname=$(readelf -d "$m/libbili_qr.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ $soname == "libbili_qr.so.$major" ]] || fail "the musl library's soname is '$soname', want libbili_qr.so.$major"
ln -s libbili_qr.so "$t/musllib/$soname"
musl-gcc -std=c11 -Wall -Wextra -Werror -I"$A/include" "$root/tests/consumer/main.c" -o "$t/app_musl" \
  -L"$t/musllib" -lbili_qr -Wl,-rpath,"$t/musllib" || fail "musl-gcc cannot link the musl libbili_qr.so"
interp=$(readelf -l "$t/app_musl" | sed -n 's/.*interpreter: \(.*\)]/\1/p')
[[ $interp == "$musl_ld" ]] || fail "the musl program's interpreter is '$interp'"
login_line "C (x86_64 musl, shared libbili_qr.so [needs: $needed], $musl_ld)" "$t/app_musl"
cli_login "the musllinux wheel's bili-qr" "$(find "$t/whl-musllinux_1_2_x86_64" -type f -name bili-qr)"

# ------------------------------------------------------------------ npm and NuGet
tarball="$dist/bili-qr-$version.tgz"
if [[ -f $tarball ]]; then
  step "npm: prebuilds for linux-arm64 and linux-x64-musl; the loader picks linux-x64 here"
  mkdir -p "$t/npm" && tar -xzf "$tarball" -C "$t/npm"
  P="$t/npm/package/prebuilds"
  cmp -s "$P/linux-arm64/libbili_qr.so" "$so" || fail "prebuilds/linux-arm64 is not the ARM64 SDK's library"
  cmp -s "$P/linux-x64-musl/libbili_qr.so" "$m/libbili_qr.so" || fail "prebuilds/linux-x64-musl is not the musl library"
  need=$(glibc_max "$P/linux-x64/libbili_qr.so")
  at_most_217 "$need" || fail "prebuilds/linux-x64 needs GLIBC_$need"
  # The directory lib/native.js chooses for this process, and, through its own linuxLibc()/prebuildDir() given a
  # stand-in process and fs, for a musl Node (a process report without glibcVersionRuntime, as Alpine's node
  # gives), a glibc ARM64 Node, and a runtime without process.report on a system with the musl loader in /lib.
  got=$(cd "$t/npm/package" && node -e '
    const src = require("fs").readFileSync("lib/native.js", "utf8");
    const m = src.match(/function linuxLibc\(\)[\s\S]*?\n}\n[\s\S]*?function prebuildDir[\s\S]*?\n}\n/);
    if (!m) throw new Error("no linuxLibc/prebuildDir in lib/native.js");
    const pick = (fs, proc) => new Function("fs", "process", m[0] + "return prebuildDir();")(fs, proc);
    const report = (header) => ({ getReport: () => ({ header }) });
    const noLib = { readdirSync: () => { throw new Error("no /lib here"); } };
    const muslLib = { readdirSync: (d) => (d === "/lib" ? ["ld-musl-x86_64.so.1", "libc.musl-x86_64.so.1"] : []) };
    const glibcLib = { readdirSync: (d) => (d === "/lib" ? ["ld-linux-x86-64.so.2"] : []) };
    console.log([
      pick(require("fs"), process),
      pick(noLib, { platform: "linux", arch: "x64", report: report({ glibcVersionRuntime: "2.36" }) }),
      pick(noLib, { platform: "linux", arch: "x64", report: report({ osName: "Linux" }) }),
      pick(noLib, { platform: "linux", arch: "arm64", report: report({ glibcVersionRuntime: "2.17" }) }),
      pick(muslLib, { platform: "linux", arch: "x64" }),
      pick(glibcLib, { platform: "linux", arch: "x64" }),
    ].join(" "));') || fail "cannot ask lib/native.js for its prebuild folder"
  want="linux-x64 linux-x64 linux-x64-musl linux-arm64 linux-x64-musl linux-x64"
  [[ $got == "$want" ]] || fail "the npm loader picks '$got', want '$want' (here; glibc x64; musl x64; glibc arm64; no report + musl loader; no report + glibc)"
  echo "   prebuildDir(): here linux-x64; stand-ins: glibc x64, musl x64, glibc arm64, /lib probe musl and glibc: $got; linux-x64 needs GLIBC_${need:-none}"
fi
for nupkg in "$dist"/*.nupkg; do
  [[ -f $nupkg ]] || continue
  step "$(basename "$nupkg"): runtimes/linux-arm64 and linux-musl-x64"
  cmp -s <(unzip -p "$nupkg" runtimes/linux-arm64/native/libbili_qr.so) "$so" ||
    fail "runtimes/linux-arm64/native/libbili_qr.so is not the ARM64 library"
  cmp -s <(unzip -p "$nupkg" runtimes/linux-musl-x64/native/libbili_qr.so) "$m/libbili_qr.so" ||
    fail "runtimes/linux-musl-x64/native/libbili_qr.so is not the musl library"
  echo "   same bytes as the SDK's / the wheel's"
done
echo "platforms: ARM64 (qemu: test_abi, static C, CLI x2), musl (static CLI, C via the musl loader, wheel CLI), wheels, npm, NuGet: ok"

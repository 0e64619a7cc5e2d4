#!/usr/bin/env bash
# The distributable artifacts (scripts/dist.sh), each installed in a clean directory outside the repository with
# no cargo or rustc on PATH, logging in against the fake passport server:
#   - dist/ and SHA256SUMS: every file listed and matching; every archive carries the workspace version in its
#     name and LICENSE-MIT + LICENSE-APACHE inside;
#   - the C/C++ SDK tarball: soname libbili_qr.so.MAJOR with its symlinks, a stripped library exporting only
#     bili_qr_*; a C program built with nothing but pkg-config (shared and static) and one built with CMake
#     find_package; then the unpacked tree is MOVED and built again (the .pc and CMake files are relocatable);
#   - the CLI tarball: `bili-qr login` writes a cookies file (mode 0600) against the fake server;
#   - the Windows zips, under Wine: a mingw program linked with the SDK's import library logs in, and bili-qr.exe;
#   - the bindings' packages, through each binding's own install test when it provides one
#     (bindings/<lang>/test-install.sh DIST_DIR, run with the same clean PATH);
#   - the other Linux targets (ARM64 under qemu-user, static musl CLI, musl library through Debian's musl loader,
#     manylinux2014 / musllinux wheels, npm prebuilds, NuGet runtimes): tests/packages/platforms.sh, same clean PATH.
# Needs: cc, pkg-config, cmake (.ci/deps/cpp.apt), mingw-w64 and wine64 (.ci/deps/windows.apt), qemu-user, the
# aarch64 cross gcc, musl-tools and zig (.ci/deps/platforms.{apt,sh}).
set -euo pipefail
root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
server=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "-- $*"; }
[[ -x $server ]] || fail "missing $server (cargo build --release --workspace)"

version=$(awk '/^\[/{sec=$0} sec=="[workspace.package]" && /^version *=/{gsub(/.*= *"|".*/,""); print; exit}' "$root/Cargo.toml")
major=${version%%.*}

# Outside the repository (and outside target/), removed at the end.
t=$(mktemp -d "${TMPDIR:-/tmp}/bili-qr-packages.XXXXXX")
[[ $t != "$root"* ]] || fail "the clean directory $t is inside the repository"
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
  rm -rf "$t"
}
trap cleanup EXIT

# The Windows artifacts (tests/suites/75-windows.sh builds them too; a no-op then). The Linux ones come from
# tests/run-all.sh's build.
step "cargo build --release --target x86_64-pc-windows-gnu (for the Windows packages)"
(cd "$root" && cargo build --release --locked --target x86_64-pc-windows-gnu -p bili-qr-capi -p bili-qr-cli 2>&1 | tail -n 1)
# The other Linux targets need zig (cargo-zigbuild), two rustup targets, qemu-user, the aarch64 cross gcc and glibc,
# and musl-tools (.ci/deps/platforms.*): under CI a missing one fails the suite; elsewhere the rest of the suite
# runs without them and it ends SKIPPED (exit 77), naming what is missing.
plat_missing=()
for tool in cargo-zigbuild qemu-aarch64 aarch64-linux-gnu-gcc musl-gcc; do
  command -v "$tool" >/dev/null || plat_missing+=("$tool")
done
[[ -f /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]] || plat_missing+=(libc6-arm64-cross)
if command -v rustup >/dev/null; then
  installed_targets=$(rustup target list --installed 2>/dev/null || true)
  for triple in aarch64-unknown-linux-gnu x86_64-unknown-linux-musl; do
    grep -qx "$triple" <<<"$installed_targets" || plat_missing+=("rustup target $triple")
  done
fi
dist_flags=()
if [[ ${#plat_missing[@]} -gt 0 ]]; then
  [[ ${CI:-} != true ]] || fail "the other Linux targets need: ${plat_missing[*]} (.ci/deps/platforms.*)"
  echo "   the other Linux targets are left out: missing ${plat_missing[*]} (.ci/deps/platforms.*)"
  dist_flags=(--no-platforms)
else
  step "scripts/build-platforms.sh (aarch64, x86_64 glibc 2.17, musl; each target once, cached in target/platforms*)"
  bash "$root/scripts/build-platforms.sh" >"$t/platforms-build.log" 2>&1 || { cat "$t/platforms-build.log"; fail "build-platforms.sh failed"; }
  grep -E '^   .*: [0-9]+ s$|all targets' "$t/platforms-build.log" | sed 's/^ */   /'
fi
# The x86_64 Linux library every package takes is the one scripts/build-lib.sh builds (std rebuilt for size, with
# the nightly toolchain's rust-src, which .ci/deps/nightly.sh installs): the packages are tested with it.
step "scripts/build-lib.sh (the C library as it ships)"
bash "$root/scripts/build-lib.sh" >"$t/build-lib.log" 2>&1 || { cat "$t/build-lib.log"; fail "build-lib.sh failed"; }
if grep -q 'no nightly toolchain with rust-src' "$t/build-lib.log"; then
  [[ ${CI:-} != true ]] || fail "scripts/build-lib.sh found no nightly toolchain with rust-src (.ci/deps/nightly.sh)"
  echo "   built with the stable std: no nightly toolchain with rust-src (.ci/deps/nightly.sh)"
fi
step "scripts/dist.sh --no-build ${dist_flags[*]+${dist_flags[*]} }--out $t/dist"
bash "$root/scripts/dist.sh" --no-build ${dist_flags[@]+"${dist_flags[@]}"} --out "$t/dist" >"$t/dist.log" 2>&1 || { cat "$t/dist.log"; fail "dist.sh failed"; }
dist="$t/dist"
[[ -s $dist/SHA256SUMS ]] || fail "no SHA256SUMS"
(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the files"
listed=$(awk '{print $2}' "$dist/SHA256SUMS" | sort)
present=$(cd "$dist" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%f\n' | sort)
[[ $listed == "$present" ]] || fail "SHA256SUMS lists ($listed) but dist has ($present)"
sdk_tgz="$dist/bili_qr-$version-linux-x86_64.tar.gz"
cli_tgz="$dist/bili-qr-$version-linux-x86_64.tar.gz"
wsdk_zip="$dist/bili_qr-$version-windows-x86_64.zip"
wcli_zip="$dist/bili-qr-$version-windows-x86_64.zip"
for f in "$sdk_tgz" "$cli_tgz" "$wsdk_zip" "$wcli_zip"; do [[ -f $f ]] || fail "$(basename "$f") is missing: $(ls "$dist")"; done

# Every archive: the version in its name, the two license files inside (the same text as the repository's).
n_archives=0
while IFS= read -r f; do
  name=$(basename "$f")
  [[ $name == *"$version"* ]] || fail "$name does not carry the version $version"
  x="$t/lic/$name"; mkdir -p "$x"
  case "$name" in
    *.tar.gz|*.tgz) tar -xzf "$f" -C "$x" ;;
    *.zip|*.whl|*.nupkg) python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$f" "$x" ;;
    *) continue ;;
  esac
  # By content (a wheel keeps them under .dist-info/licenses/, a .nupkg may rename them).
  grep -rqlF 'Permission is hereby granted, free of charge' "$x" || fail "$name has no MIT license text"
  grep -rqlF 'TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION' "$x" || fail "$name has no Apache-2.0 license text"
  n_archives=$((n_archives + 1))
done < <(find "$dist" -maxdepth 1 -type f ! -name SHA256SUMS)
step "$n_archives archives carry version $version and both licenses"

# PATH minus every directory that holds cargo, rustc or rustup (python, node, cc stay where the machine has them).
clean_path=""
IFS=: read -ra path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
  if [[ -n $d && ! -e $d/cargo && ! -e $d/rustc && ! -e $d/rustup ]]; then clean_path=${clean_path:+$clean_path:}$d; fi
done
for tool in cargo rustc rustup; do
  if PATH=$clean_path command -v "$tool" >/dev/null; then fail "$tool is on the clean PATH ($clean_path)"; fi
done
# The rest of the environment stays (the package registries' configuration), minus what points into the build.
cl() {
  env -u BILI_QR_LIBRARY -u BILI_QR_STATIC_LIBRARY -u BILI_QR_INCLUDE -u BILI_QR_CLI -u BILI_QR_ROOT \
    -u CARGO_HOME -u RUSTUP_HOME -u CARGO_TARGET_DIR PATH="$clean_path" TMPDIR="$t" "$@"
}
mkdir -p "$t/home"

coproc SERVER { exec "$server" --watch-stdin --quiet; }
server_pid=$SERVER_PID
read -r -t 10 first <&"${SERVER[0]}" || fail "the fake server did not start"
base=${first#listening }
[[ $base == http://127.0.0.1:* ]] || fail "fake server said '$first'"

# ---------------------------------------------------------------- the C/C++ SDK
step "C SDK: unpack into $t/a"
mkdir -p "$t/a" && tar -xzf "$sdk_tgz" -C "$t/a"
S="$t/a/bili_qr-$version-linux-x86_64"
L="$S/lib"
[[ $(readlink "$L/libbili_qr.so") == "libbili_qr.so.$major" ]] || fail "libbili_qr.so is not a symlink to the soname"
[[ $(readlink "$L/libbili_qr.so.$major") == "libbili_qr.so.$version" ]] || fail "libbili_qr.so.$major is not a symlink to libbili_qr.so.$version"
soname=$(readelf -d "$L/libbili_qr.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[[ $soname == "libbili_qr.so.$major" ]] || fail "SDK soname '$soname', want libbili_qr.so.$major"
sections=$(readelf -S "$L/libbili_qr.so.$version")
if grep -qE '\.symtab|\.debug_' <<<"$sections"; then fail "the SDK's shared library is not stripped"; fi
others=$(nm -D --defined-only "$L/libbili_qr.so.$version" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^bili_qr_' || true)
[[ -z $others ]] || fail "the SDK library exports more than bili_qr_*: $others"
for f in include/bili_qr.h include/bili_qr.hpp include/bili_qr_session.hpp include/bili_qr_abi.hpp lib/libbili_qr.a lib/pkgconfig/bili_qr.pc lib/pkgconfig/bili_qr-static.pc \
  lib/cmake/bili_qr/bili_qrConfig.cmake lib/cmake/bili_qr/bili_qrConfigVersion.cmake README.md LICENSE-MIT LICENSE-APACHE; do
  [[ -f $S/$f ]] || fail "SDK lacks $f"
done
grep -q "$version" "$S/README.md" || fail "the SDK README does not name version $version"
if grep -rqF "$root" "$S/lib/pkgconfig" "$S/lib/cmake"; then fail "the SDK's pkg-config or CMake files name the build tree"; fi
cp "$root/tests/consumer/main.c" "$t/app.c"

# build_and_login DIR-OF-SDK LABEL: pkg-config shared + static, CMake find_package; each binary logs in.
n=0
login() { # login BINARY LABEL [EXPECTED-LIB-DIR]
  local bin=$1 label=$2 libdir=${3:-}
  n=$((n + 1))
  if [[ -n $libdir ]]; then
    local resolved
    resolved=$(cl ldd "$bin" | sed -n 's/^[[:space:]]*libbili_qr[^ ]* => \(.*\) (0x.*/\1/p')
    [[ $(realpath -m "$resolved") == $(realpath -m "$libdir/libbili_qr.so.$major") ]] ||
      fail "$label loads libbili_qr from '$resolved', not $libdir"
  fi
  out=$(cl timeout 60 "$bin" "$base/s/id=pkg-$n,flow=wsc" 2>&1) || { echo "$out"; fail "$label did not log in"; }
  [[ $out == *"logged in"* ]] || { echo "$out"; fail "$label: no login line"; }
  if cl timeout 60 "$bin" "$base/s/id=pkg-bad-$n,flow=c,fault=nocookies,on=fetch" >"$t/bad.out" 2>&1; then
    cat "$t/bad.out"; fail "$label exited 0 for a login without SESSDATA"
  fi
  echo "   $label: logged in"
}
build_and_login() {
  local sdk=$1 label=$2 b="$t/build-$2"
  mkdir -p "$b"
  local pc="PKG_CONFIG_PATH=$sdk/lib/pkgconfig"
  # Only pkg-config's answers on the command lines; eval, as make would, so that "\ " in a path stays one word.
  cl env "$pc" sh -c 'eval "cc -std=c11 -Wall -Wextra -Werror \"\$1\" -o \"\$2\" $(pkg-config --cflags --libs bili_qr) \
      -Wl,-rpath,$(pkg-config --variable=libdir bili_qr)"' _ "$t/app.c" "$b/app_pc" ||
    fail "$label: cc with pkg-config (shared) failed"
  login "$b/app_pc" "$label pkg-config shared" "$sdk/lib"
  cl env "$pc" sh -c 'eval "cc -std=c11 -Wall -Wextra -Werror \"\$1\" -o \"\$2\" $(pkg-config --cflags --libs bili_qr-static)"' \
    _ "$t/app.c" "$b/app_pc_static" || fail "$label: cc with pkg-config (static) failed"
  local dyn
  dyn=$(readelf -d "$b/app_pc_static")
  if grep -q 'NEEDED.*libbili_qr' <<<"$dyn"; then fail "$label: the static build needs libbili_qr.so"; fi
  login "$b/app_pc_static" "$label pkg-config static"

  mkdir -p "$b/cmake-src"
  cp "$t/app.c" "$b/cmake-src/app.c"
  cat >"$b/cmake-src/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.14)
project(app LANGUAGES C)
find_package(bili_qr ${version%.*} REQUIRED)
message(STATUS "bili_qr \${bili_qr_VERSION} from \${bili_qr_DIR}")
add_executable(app_cmake app.c)
target_link_libraries(app_cmake PRIVATE bili_qr::bili_qr)
add_executable(app_cmake_static app.c)
target_link_libraries(app_cmake_static PRIVATE bili_qr::bili_qr_static)
CMAKE
  cl cmake -S "$b/cmake-src" -B "$b/cmake" -DCMAKE_PREFIX_PATH="$sdk" >"$b/cmake.log" 2>&1 ||
    { cat "$b/cmake.log"; fail "$label: cmake configure failed"; }
  grep -qF "from $sdk/lib/cmake/bili_qr" "$b/cmake.log" || { cat "$b/cmake.log"; fail "$label: CMake found another bili_qr"; }
  cl cmake --build "$b/cmake" >>"$b/cmake.log" 2>&1 || { cat "$b/cmake.log"; fail "$label: cmake build failed"; }
  login "$b/cmake/app_cmake" "$label cmake find_package shared" "$sdk/lib"
  login "$b/cmake/app_cmake_static" "$label cmake find_package static"
}
build_and_login "$S" sdk
step "C SDK: moved to another directory (relocatable .pc and CMake package)"
mkdir -p "$t/moved here"
mv "$S" "$t/moved here/sdk"
build_and_login "$t/moved here/sdk" moved

# ---------------------------------------------------------------- the CLI
step "CLI: unpack and log in"
mkdir -p "$t/cli" && tar -xzf "$cli_tgz" -C "$t/cli"
C="$t/cli/bili-qr-$version-linux-x86_64"
[[ -x $C/bili-qr ]] || fail "the CLI tarball has no executable bili-qr"
[[ $(cl "$C/bili-qr" --version) == *"$version"* ]] || fail "bili-qr --version does not say $version"
sections=$(readelf -S "$C/bili-qr")
if grep -qE '\.symtab|\.debug_' <<<"$sections"; then fail "the CLI binary is not stripped"; fi
(cd "$t/home" && cl timeout 60 "$C/bili-qr" login --base-url "$base/s/id=pkg-cli,flow=wsc" --poll-interval 200ms \
  --cookies "$t/home/cookies.txt" >"$t/cli.out" 2>&1) || { cat "$t/cli.out"; fail "bili-qr login failed"; }
grep -q 'SESSDATA' "$t/home/cookies.txt" || fail "bili-qr wrote no SESSDATA cookie"
[[ $(stat -c %a "$t/home/cookies.txt") == 600 ]] || fail "cookies.txt is not mode 0600"
echo "   bili-qr login: cookies.txt written (0600)"

# ---------------------------------------------------------------- Windows (under Wine)
wine=""
for w in wine64 /usr/lib/wine/wine64 wine; do
  if command -v "$w" >/dev/null; then wine=$(command -v "$w"); break; fi
done
[[ -n $wine ]] || fail "wine64 is not installed (.ci/deps/windows.apt)"
step "Windows SDK zip: a mingw program linked with lib/libbili_qr.dll.a, run under Wine"
unzip -q "$wsdk_zip" -d "$t/w"
WS="$t/w/bili_qr-$version-windows-x86_64"
for f in bin/bili_qr.dll lib/libbili_qr.dll.a lib/libbili_qr.a lib/bili_qr.def include/bili_qr.h include/bili_qr.hpp include/bili_qr_session.hpp include/bili_qr_abi.hpp README.md; do
  [[ -f $WS/$f ]] || fail "the Windows SDK lacks $f"
done
mkdir -p "$t/wrun"
cl x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -I"$WS/include" "$t/app.c" -o "$t/wrun/app.exe" -L"$WS/lib" -lbili_qr ||
  fail "mingw could not link the Windows SDK's import library"
cp "$WS/bin/bili_qr.dll" "$t/wrun/"
# Wine 8 lacks bcryptprimitives.dll (ProcessPrng): the test-only shim of tests/windows/, never in the zip.
cl x86_64-w64-mingw32-gcc -O2 -shared -o "$t/wrun/bcryptprimitives.dll" "$root/tests/windows/bcryptprimitives.c" -lbcrypt
wsdk_list=$(unzip -l "$wsdk_zip")
if grep -qi bcryptprimitives <<<"$wsdk_list"; then fail "the Windows SDK ships the Wine shim"; fi
export WINEPREFIX="$root/target/windows-tests/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
winrun() { (cd "$t/wrun" && cl timeout 180 "$wine" "$@"); }
out=$(winrun ./app.exe "$base/s/id=pkg-win,flow=wsc" 2>&1) || { echo "$out"; fail "app.exe (Windows SDK) did not log in"; }
[[ $out == *"logged in"* ]] || { echo "$out"; fail "app.exe: no login line"; }
echo "   app.exe (mingw, import library): logged in under Wine"
step "Windows CLI zip: bili-qr.exe login under Wine"
unzip -q "$wcli_zip" -d "$t/wcli"
cp "$t/wcli/bili-qr-$version-windows-x86_64/bili-qr.exe" "$t/wrun/"
winrun ./bili-qr.exe login --base-url "$base/s/id=pkg-wincli,flow=wsc" --poll-interval 200ms --cookies cookies.txt \
  >"$t/wcli.out" 2>&1 || { cat "$t/wcli.out"; fail "bili-qr.exe login failed"; }
grep -q SESSDATA "$t/wrun/cookies.txt" || fail "bili-qr.exe wrote no SESSDATA"
echo "   bili-qr.exe login: cookies.txt written"

# ---------------------------------------------------------------- the bindings' packages
bindings_tested=0
for lang in python node csharp; do
  test_script="$root/bindings/$lang/test-install.sh"
  if [[ -f $test_script ]]; then
    step "$lang: bindings/$lang/test-install.sh (clean PATH, fake server $base)"
    cl env BILI_QR_FAKE_SERVER="$server" BILI_QR_FAKE_BASE="$base" BILI_QR_VERSION="$version" \
      bash "$test_script" "$dist" || fail "bindings/$lang/test-install.sh failed"
    bindings_tested=$((bindings_tested + 1))
  else
    echo "   $lang: no bindings/$lang/test-install.sh in this tree"
  fi
done

# The .nupkg's layout (C#), when there is one: the assembly and the native libraries under runtimes/<rid>/native/,
# the same bytes as the SDKs' libraries.
for nupkg in "$dist"/*.nupkg; do
  [[ -f $nupkg ]] || continue
  step "$(basename "$nupkg"): layout"
  listing=$(unzip -Z1 "$nupkg")
  for want in 'lib/netstandard2.0/[^/]*\.dll' 'runtimes/linux-x64/native/libbili_qr\.so' 'runtimes/win-x64/native/bili_qr\.dll' '[^/]*\.nuspec'; do
    grep -qxE "$want" <<<"$listing" || fail "$(basename "$nupkg") has no $want"
  done
  nuspec_version=$(unzip -p "$nupkg" '*.nuspec' | sed -n 's:.*<version>\(.*\)</version>.*:\1:p' | head -n 1)
  [[ $nuspec_version == "$version" ]] || fail "$(basename "$nupkg") says version '$nuspec_version', want $version"
  # linux-x64: the glibc 2.17 build, the one in the manylinux2014 x86_64 wheel (without the other targets: the SDK's).
  if [[ ${#dist_flags[@]} -eq 0 ]]; then
    cmp -s <(unzip -p "$nupkg" runtimes/linux-x64/native/libbili_qr.so) \
      <(unzip -p "$dist/bili_qr-$version-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl" bili_qr/libbili_qr.so) ||
      fail "$(basename "$nupkg"): its libbili_qr.so is not the manylinux2014 wheel's"
  else
    cmp -s <(unzip -p "$nupkg" runtimes/linux-x64/native/libbili_qr.so) "$t/moved here/sdk/lib/libbili_qr.so.$version" ||
      fail "$(basename "$nupkg"): its libbili_qr.so is not the SDK's"
  fi
  cmp -s <(unzip -p "$nupkg" runtimes/win-x64/native/bili_qr.dll) "$WS/bin/bili_qr.dll" ||
    fail "$(basename "$nupkg"): its bili_qr.dll is not the Windows SDK's"
  echo "   $(basename "$nupkg"): lib/netstandard2.0, runtimes/linux-x64 and win-x64 native, version $version"
done

# ---------------------------------------------------------------- the other Linux targets
if [[ ${#dist_flags[@]} -gt 0 ]]; then
  echo "packages: SDK (pkg-config, CMake, moved), CLI, Windows SDK and CLI (Wine) and $bindings_tested binding install test(s) passed ($n C logins)"
  echo "SKIPPED: the other Linux targets (ARM64, glibc 2.17, musl): missing ${plat_missing[*]} (.ci/deps/platforms.*)"
  exit 77
fi
step "other Linux targets: tests/packages/platforms.sh (clean PATH)"
cl env BILI_QR_FAKE_BASE="$base" BILI_QR_VERSION="$version" bash "$root/tests/packages/platforms.sh" "$dist" ||
  fail "tests/packages/platforms.sh failed"

echo "packages: SDK (pkg-config, CMake, moved), CLI, Windows SDK and CLI (Wine), $bindings_tested binding install test(s) and the other Linux targets passed ($n C logins)"

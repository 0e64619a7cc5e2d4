#!/usr/bin/env bash
# C++ wrapper (bindings/cpp/bili_qr.hpp) and the install story (scripts/install.sh):
#  1. bindings/cpp/tests/test_wrapper.cpp against the fake server, built with -Wall -Wextra -Werror and ASan/UBSan;
#  2. scripts/install.sh into a temporary prefix, and checks of the installed layout (soname, symlinks, .pc, CMake);
#  3. tests/consumer built with CMake find_package and with pkg-config (Makefile), each linking the shared and
#     the static library, in C and C++; every binary logs in against the fake server.
# Needs: g++, cmake, make, pkg-config, nlohmann-json3-dev, patchelf, binutils (.ci/deps/cpp.apt).
set -euo pipefail

root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
lib=${BILI_QR_LIBRARY:-$root/target/release/libbili_qr.so}
staticlib=${BILI_QR_STATIC_LIBRARY:-$root/target/release/libbili_qr.a}
inc=${BILI_QR_INCLUDE:-$root/include}
server=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}

# fail, step, scratch_dir, start_fake_server, stop_fake_server
source "$root/tests/suites/lib/common.sh"

for tool in g++ cc cmake make pkg-config readelf nm; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (see .ci/deps/cpp.apt)"
done
[[ -f /usr/include/nlohmann/json.hpp ]] || fail "nlohmann/json.hpp is missing (Debian package nlohmann-json3-dev)"
for f in "$lib" "$staticlib" "$inc/bili_qr.h" "$server"; do [[ -e $f ]] || fail "missing $f (cargo build --release --workspace)"; done

scratch_dir work bili_qr_cpp

# --- the fake server (its stdin a pipe this script holds open on fd 7), and its RSA test key.
start_fake_server "$work" --refresh-public-key-out "$work/refresh_key.pem"
[[ -s $work/refresh_key.pem ]] || fail "the fake server wrote no refresh public key"
step "fake server at $base"

# --- 1. the wrapper test, ASan + UBSan, against the library in target/release (the mainland refresh encrypts with
# the fake server's test key; the TV round trip says SKIPPED while the library does not know the option flow).
# Link through a directory holding libbili_qr.so and libbili_qr.so.MAJOR, so the test runs whether or not the
# build gives the library a soname.
mkdir -p "$work/devlib"
ln -s "$lib" "$work/devlib/libbili_qr.so"
ln -s "$lib" "$work/devlib/libbili_qr.so.0"
step "building bindings/cpp/tests/test_wrapper.cpp (-std=c++17 -Wall -Wextra -Werror -fsanitize=address,undefined)"
g++ -std=c++17 -g -O1 -Wall -Wextra -Werror -Wshadow -Wpedantic -fsanitize=address,undefined \
  -fno-sanitize-recover=all -fno-omit-frame-pointer -pthread \
  -I"$inc" -I"$root/bindings/cpp" "$root/bindings/cpp/tests/test_wrapper.cpp" \
  -L"$work/devlib" -Wl,-rpath,"$work/devlib" -lbili_qr -o "$work/test_wrapper"
step "running the wrapper test"
BILI_QR_TEST_BASE=$base BILI_QR_TEST_HEADER=$inc/bili_qr.h BILI_QR_TEST_REFRESH_KEY=$work/refresh_key.pem ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 timeout 180 "$work/test_wrapper" ||
  fail "bindings/cpp/tests/test_wrapper.cpp failed"

step "building and running the ABI-mismatch variant (a library of ABI 1 must be refused: too old)"
g++ -std=c++17 -O0 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all -pthread \
  -DBILI_QR_TEST_ABI_MISMATCH -I"$inc" -I"$root/bindings/cpp" "$root/bindings/cpp/tests/test_wrapper.cpp" \
  -L"$work/devlib" -Wl,-rpath,"$work/devlib" -lbili_qr -o "$work/test_abi_mismatch"
BILI_QR_TEST_BASE=$base timeout 60 "$work/test_abi_mismatch" || fail "the wrapper accepted a library older than it needs"

# The header also compiles as C++20 and with stricter warnings, with nothing but bili_qr.h and nlohmann.
printf '#include "bili_qr.hpp"\nint main() { return bili_qr::Options{}.to_json() == "{}" ? 0 : 1; }\n' >"$work/cxx20.cpp"
g++ -std=c++20 -Wall -Wextra -Werror -Wconversion -Wshadow -Wpedantic -I"$inc" -I"$root/bindings/cpp" \
  -c "$work/cxx20.cpp" -o "$work/cxx20.o" || fail "bili_qr.hpp does not compile as C++20 with -Wconversion"

# --- 2. install into a temporary prefix (the library is already built by tests/run-all.sh).
prefix="$work/prefix dir"  # a space in the path, on purpose
step "scripts/install.sh --prefix '$prefix' --no-build"
bash "$root/scripts/install.sh" --prefix "$prefix" --no-build >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "install.sh failed"; }
bash "$root/scripts/install.sh" --prefix "$prefix" --no-build >>"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "install.sh failed when run a second time"; }
version=$(awk '/^\[/{sec=$0} sec=="[workspace.package]" && /^version *=/{gsub(/.*= *"|".*/,""); print; exit}' "$root/Cargo.toml")
major=${version%%.*}
L="$prefix/lib"
for f in "lib/libbili_qr.so.$version" lib/libbili_qr.a include/bili_qr.h include/bili_qr.hpp include/bili_qr_session.hpp include/bili_qr_abi.hpp \
  lib/pkgconfig/bili_qr.pc lib/pkgconfig/bili_qr-static.pc lib/cmake/bili_qr/bili_qrConfig.cmake \
  lib/cmake/bili_qr/bili_qrConfigVersion.cmake; do
  [[ -f $prefix/$f && ! -L $prefix/$f ]] || fail "install: $f missing or not a regular file"
done
[[ $(readlink "$L/libbili_qr.so.$major") == "libbili_qr.so.$version" ]] || fail "libbili_qr.so.$major is not a symlink to libbili_qr.so.$version"
[[ $(readlink "$L/libbili_qr.so") == "libbili_qr.so.$major" ]] || fail "libbili_qr.so is not a symlink to libbili_qr.so.$major"
soname=$(readelf -d "$L/libbili_qr.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[[ $soname == "libbili_qr.so.$major" ]] || fail "installed soname is '$soname', want libbili_qr.so.$major"
cmp -s "$inc/bili_qr.h" "$prefix/include/bili_qr.h" || fail "installed bili_qr.h differs from include/bili_qr.h"
for f in bili_qr.hpp bili_qr_session.hpp bili_qr_abi.hpp; do
  cmp -s "$root/bindings/cpp/$f" "$prefix/include/$f" || fail "installed $f differs"
done
cmp -s "$staticlib" "$L/libbili_qr.a" || fail "installed libbili_qr.a differs from the build's"
nm -D --defined-only "$L/libbili_qr.so.$version" | grep -q ' T bili_qr_abi_version$' || fail "installed .so does not export bili_qr_abi_version"
export PKG_CONFIG_PATH="$L/pkgconfig"
[[ $(pkg-config --modversion bili_qr) == "$version" ]] || fail "pkg-config --modversion bili_qr != $version"
# The .pc is relocatable (prefix=${pcfiledir}/../..): the include dir it names is the prefix's.
pc_inc=$(pkg-config --variable=includedir bili_qr)
[[ $(cd "${pc_inc//\\ / }" && pwd -P) == "$(cd "$prefix/include" && pwd -P)" ]] || fail "pkg-config's includedir is not the prefix's ($pc_inc)"
pkg-config --static --libs bili_qr | grep -q -- '-lgcc_s' || fail "bili_qr.pc Libs.private lacks the system libs"
step "installed $version: soname $soname, pkg-config and CMake files present"

# --destdir stages into DESTDIR/PREFIX while the files name PREFIX.
bash "$root/scripts/install.sh" --prefix /opt/bili_qr --destdir "$work/stage" --no-build >>"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "install.sh --destdir failed"; }
[[ -f $work/stage/opt/bili_qr/lib/libbili_qr.a ]] || fail "--destdir: nothing staged"
grep -qx 'prefix=${pcfiledir}/../..' "$work/stage/opt/bili_qr/lib/pkgconfig/bili_qr.pc" || fail "--destdir: .pc is not relocatable"

# --- 3. the consumer project, with CMake and with pkg-config.
consumers=(consumer_c_shared consumer_c_static consumer_cpp_shared consumer_cpp_static)
step "consumer: cmake find_package(bili_qr)"
cmake -S "$root/tests/consumer" -B "$work/build-cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "cmake configure of tests/consumer failed"; }
grep -qF "from $prefix/lib/cmake/bili_qr" "$work/cmake.log" || { cat "$work/cmake.log"; fail "CMake found another bili_qr"; }
cmake --build "$work/build-cmake" -j 2 >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "cmake build of tests/consumer failed"; }
step "consumer: make with pkg-config"
make -C "$root/tests/consumer" OUT="$work/build-make" >"$work/make.log" 2>&1 || { cat "$work/make.log"; fail "make of tests/consumer failed"; }

n=0
for dir in build-cmake build-make; do
  for c in "${consumers[@]}"; do
    bin="$work/$dir/$c"
    [[ -x $bin ]] || fail "$dir/$c was not built"
    needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p' | tr '\n' ' ')
    if [[ $c == *_static ]]; then
      [[ $needed != *libbili_qr* ]] || fail "$dir/$c is linked statically but needs a shared libbili_qr ($needed)"
    else
      [[ $needed == *"libbili_qr.so.$major "* ]] || fail "$dir/$c does not need libbili_qr.so.$major ($needed)"
      resolved=$(ldd "$bin" | sed -n 's/^[[:space:]]*libbili_qr[^ ]* => \(.*\) (0x.*/\1/p')
      [[ $(realpath -m "$resolved") == $(realpath -m "$L/libbili_qr.so.$major") ]] || fail "$dir/$c loads libbili_qr from '$resolved', not the prefix"
    fi
    n=$((n + 1))
    out=$(timeout 60 "$bin" "$base/s/id=consumer-$n,flow=wsc" 2>&1) || { echo "$out"; fail "$dir/$c did not log in"; }
    [[ $out == *"logged in"* ]] || { echo "$out"; fail "$dir/$c: no login line"; }
    # The exit status means something: a confirmed login without cookies fails.
    if timeout 60 "$bin" "$base/s/id=consumer-bad-$n,flow=c,fault=nocookies,on=fetch" >"$work/bad.out" 2>&1; then
      cat "$work/bad.out"; fail "$dir/$c exited 0 for a login without SESSDATA"
    fi
    echo "   $dir/$c: logged in (needs: ${needed:-nothing})"
  done
done
step "all ${n} consumer binaries logged in against the fake server"

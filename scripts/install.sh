#!/usr/bin/env bash
# Installs the bili_qr C library, its C and C++ headers, a pkg-config file and a CMake package into a prefix.
#
#   scripts/install.sh --prefix DIR [--no-build] [--destdir DIR]
#
# Layout (Linux):
#   DIR/lib/libbili_qr.so.X.Y.Z          the shared library, soname libbili_qr.so.X
#   DIR/lib/libbili_qr.so.X -> libbili_qr.so.X.Y.Z,  DIR/lib/libbili_qr.so -> libbili_qr.so.X
#   DIR/lib/libbili_qr.a                 the static library (needs the system libraries in Libs.private)
#   DIR/include/bili_qr.h, DIR/include/bili_qr.hpp + bili_qr_session.hpp + bili_qr_abi.hpp (the C++ wrapper, which it includes)
#   DIR/lib/pkgconfig/bili_qr.pc         pkg-config --cflags --libs bili_qr      (shared; relocatable: ${pcfiledir})
#   DIR/lib/pkgconfig/bili_qr-static.pc  pkg-config --cflags --libs bili_qr-static (static archive + system libs)
#   DIR/lib/cmake/bili_qr/bili_qrConfig.cmake, bili_qrConfigVersion.cmake
#        find_package(bili_qr) -> bili_qr::bili_qr (shared), bili_qr::bili_qr_static, bili_qr::cpp (C++ header)
#
# Why a script and not cargo-c (`cargo cinstall`): cargo-c would first have to be compiled from crates.io (minutes
# on a small machine, and one more tool to pin), while everything it does for us is this file: build with cargo,
# copy, strip, make the symlinks, write the .pc and CMake files (the layout cargo-c would produce). The soname,
# libbili_qr.so.MAJOR, is set by the build itself (capi/build.rs), so no patchelf is needed.
# After an install into a directory the loader searches (/usr/local/lib, /usr/lib, ...), ldconfig is run (as
# root; otherwise the script says it must be run). On failure, what the run created is removed again.
#
# --no-build   use the existing C libraries (`scripts/build-lib.sh --dir` names them: its build, or target/release)
# --destdir D  stage into D/PREFIX (for packagers); the .pc and CMake files are relocatable, ldconfig is not run
# Environment: CARGO_TARGET_DIR, STRIP (default strip), BILI_QR_NATIVE_STATIC_LIBS (override the static link's system libraries).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
prefix=""
destdir=""
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
    --destdir=*) destdir=${1#--destdir=}; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n $prefix ]] || { echo "install.sh: --prefix DIR is required (see --help)" >&2; exit 2; }
case "$(uname -s)" in
  Linux) ;;
  *) echo "install.sh: only Linux is supported by this script (got $(uname -s))" >&2; exit 2 ;;
esac
# On failure, remove what this run created (files first, then the directories it made, deepest first), so a
# failed install leaves no empty folders or half-written files behind. Files that were there before are only
# replaced at the end of each step by a rename, never truncated.
created_files=()
created_dirs=()
make_dir() {
  local d=$1 missing=()
  while [[ ! -d $d ]]; do missing=("$d" "${missing[@]}"); d=$(dirname "$d"); done
  local m
  for m in "${missing[@]}"; do mkdir "$m"; created_dirs=("$m" "${created_dirs[@]}"); done
}
put() { # put MODE SRC DEST: copy to a temporary name beside DEST, then rename over it
  local tmp="$(dirname "$3")/.$(basename "$3").tmp.$$"
  created_files+=("$tmp")
  cp "$2" "$tmp" && chmod "$1" "$tmp"
  [[ -e $3 || -L $3 ]] || created_files+=("$3")
  mv -f "$tmp" "$3"
}
link() { # link TARGET NAME
  [[ -e $2 || -L $2 ]] || created_files+=("$2")
  ln -sfn "$1" "$2"
}
cleanup() {
  local rc=$?
  [[ $rc -ne 0 ]] || return 0
  echo "install.sh: failed (status $rc); removing what this run created under ${destdir}${prefix}" >&2
  local f d
  for f in "${created_files[@]}"; do rm -rf "$f"; done
  for d in "${created_dirs[@]}"; do rmdir "$d" 2>/dev/null || true; done
  return "$rc"
}
trap cleanup EXIT
if [[ -n $destdir ]]; then make_dir "$destdir" && destdir=$(cd "$destdir" && pwd); fi
[[ $prefix == /* || -z $destdir ]] || { echo "install.sh: with --destdir, --prefix must be absolute" >&2; exit 2; }
make_dir "$destdir$prefix"
prefix=$(cd "$destdir$prefix" && pwd)
prefix=${prefix#"$destdir"}
[[ $prefix == /* ]] || { echo "install.sh: could not make the prefix absolute" >&2; exit 2; }
stage="$destdir$prefix"

# The package version from the root Cargo.toml's [workspace.package] section.
version=$(awk '/^\[/{sec=$0} sec=="[workspace.package]" && /^version *=/{gsub(/.*= *"|".*/,""); print; exit}' "$root/Cargo.toml")
[[ $version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+) ]] || { echo "install.sh: cannot read version from Cargo.toml" >&2; exit 1; }
major=${BASH_REMATCH[1]}
minor=${BASH_REMATCH[2]}
soname="libbili_qr.so.$major"
realname="libbili_qr.so.$version"

if [[ $build == 1 ]]; then
  bash "$root/scripts/build-lib.sh" >/dev/null
fi
# The C libraries as scripts/build-lib.sh builds them (std rebuilt for size) when they are there and current,
# else cargo's target/release ones (honours CARGO_TARGET_DIR like cargo itself would).
libdir_built=$(bash "$root/scripts/build-lib.sh" --dir)
so="$libdir_built/libbili_qr.so"
ar="$libdir_built/libbili_qr.a"
hdr="$root/include/bili_qr.h"
hpp="$root/bindings/cpp/bili_qr.hpp"
hpp_session="$root/bindings/cpp/bili_qr_session.hpp"
hpp_abi="$root/bindings/cpp/bili_qr_abi.hpp"
for f in "$so" "$ar" "$hdr" "$hpp" "$hpp_session" "$hpp_abi"; do
  [[ -f $f ]] || { echo "install.sh: missing $f (run bash scripts/build-lib.sh or cargo build --release, or drop --no-build)" >&2; exit 1; }
done

# The system libraries a Rust static library needs on Linux/glibc; this is what
# `cargo rustc --release -p bili-qr-capi -- --print native-static-libs` prints on x86_64-unknown-linux-gnu.
native_libs=${BILI_QR_NATIVE_STATIC_LIBS:-"-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"}

libdir="$stage/lib"

make_dir "$libdir/pkgconfig"
make_dir "$libdir/cmake/bili_qr"
make_dir "$stage/include"

# The shared library: the build already gave it its soname (capi/build.rs); check it, strip the copy.
have_soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [[ $have_soname != "$soname" ]]; then
  echo "install.sh: $so has soname '${have_soname:-none}', want $soname (built by an older capi/build.rs?" \
    "rebuild: cargo build --release -p bili-qr-capi)" >&2
  exit 1
fi
stripped="$libdir/.$realname.stripped.$$"
created_files+=("$stripped")
${STRIP:-strip} --strip-unneeded -o "$stripped" "$so"
put 0755 "$stripped" "$libdir/$realname"
rm -f "$stripped"
link "$realname" "$libdir/$soname"
link "$soname" "$libdir/libbili_qr.so"

put 0644 "$ar" "$libdir/libbili_qr.a"
put 0644 "$hdr" "$stage/include/bili_qr.h"
put 0644 "$hpp" "$stage/include/bili_qr.hpp"
put 0644 "$hpp_session" "$stage/include/bili_qr_session.hpp"
put 0644 "$hpp_abi" "$stage/include/bili_qr_abi.hpp"

# The .pc files are relocatable like the CMake package: pkg-config sets ${pcfiledir} to the directory the file
# was found in (PREFIX/lib/pkgconfig), so the tree can be moved or unpacked anywhere (the SDK tarball is).
gen=$(mktemp -d)
created_files+=("$gen")
cat >"$gen/bili_qr.pc" <<EOF
prefix=\${pcfiledir}/../..
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: bili_qr
Description: bilibili QR-code login (bilibili.tv, bilibili.com and its TV/app tokens) with a C ABI (C++ wrapper bili_qr.hpp needs nlohmann-json)
Version: $version
Libs: -L\${libdir} -lbili_qr
Libs.private: $native_libs
Cflags: -I\${includedir}
EOF

cat >"$gen/bili_qr-static.pc" <<EOF
prefix=\${pcfiledir}/../..
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: bili_qr-static
Description: bili_qr linked statically (libbili_qr.a and the system libraries Rust's standard library needs)
Version: $version
Libs: \${libdir}/libbili_qr.a $native_libs
Cflags: -I\${includedir}
EOF

cmake_libs=$(for l in $native_libs; do printf '%s;' "${l#-l}"; done)
cmake_libs=${cmake_libs%;}

cat >"$gen/bili_qrConfig.cmake" <<EOF
# CMake package of bili_qr $version, written by scripts/install.sh.
#   find_package(bili_qr 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE bili_qr::bili_qr)         # shared library + bili_qr.h
#   target_link_libraries(app PRIVATE bili_qr::bili_qr_static)  # static library + the system libraries it needs
#   target_link_libraries(app PRIVATE bili_qr::cpp)             # + bili_qr.hpp (C++17, nlohmann_json)
# The package is relocatable: paths are computed from this file's location (PREFIX/lib/cmake/bili_qr).
cmake_minimum_required(VERSION 3.11)
get_filename_component(_bili_qr_prefix "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

# bili_qr::<name>: the library file PREFIX/lib/<file> of <kind> (SHARED or STATIC) with the headers, and
# the further target properties given after <file> (property value ...).
function(_bili_qr_import name kind file)
  if(NOT TARGET bili_qr::\${name})
    add_library(bili_qr::\${name} \${kind} IMPORTED)
    set_target_properties(bili_qr::\${name} PROPERTIES
      IMPORTED_LOCATION "\${_bili_qr_prefix}/lib/\${file}"
      INTERFACE_INCLUDE_DIRECTORIES "\${_bili_qr_prefix}/include"
      \${ARGN})
  endif()
endfunction()

_bili_qr_import(bili_qr SHARED "$realname" IMPORTED_SONAME "$soname")
_bili_qr_import(bili_qr_static STATIC libbili_qr.a IMPORTED_LINK_INTERFACE_LANGUAGES C)
# Set apart: a list value (a;b) would be split into separate arguments by ARGN.
set_property(TARGET bili_qr::bili_qr_static PROPERTY INTERFACE_LINK_LIBRARIES "$cmake_libs")

if(NOT TARGET bili_qr::cpp)
  # The header-only C++ wrapper over the shared library; it needs C++17 and nlohmann/json.hpp.
  add_library(bili_qr::cpp INTERFACE IMPORTED)
  set_target_properties(bili_qr::cpp PROPERTIES
    INTERFACE_LINK_LIBRARIES "bili_qr::bili_qr"
    INTERFACE_COMPILE_FEATURES "cxx_std_17")
  find_package(nlohmann_json 3 QUIET)
  if(TARGET nlohmann_json::nlohmann_json)
    set_property(TARGET bili_qr::cpp APPEND PROPERTY INTERFACE_LINK_LIBRARIES nlohmann_json::nlohmann_json)
  endif()
endif()

set(bili_qr_VERSION "$version")
set(bili_qr_INCLUDE_DIRS "\${_bili_qr_prefix}/include")
set(bili_qr_LIBRARIES bili_qr::bili_qr)
unset(_bili_qr_prefix)
EOF

cat >"$gen/bili_qrConfigVersion.cmake" <<EOF
# Version file of the bili_qr CMake package: a request is met by $version when it asks for the same major
# version (for 0.x: the same minor version) and no newer version, on a 64-bit build.
set(PACKAGE_VERSION "$version")
set(PACKAGE_VERSION_COMPATIBLE FALSE)
set(PACKAGE_VERSION_EXACT FALSE)
if(NOT PACKAGE_FIND_VERSION OR PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
elseif(PACKAGE_FIND_VERSION VERSION_LESS PACKAGE_VERSION)
  if("$major" STREQUAL "0")
    if(PACKAGE_FIND_VERSION_MAJOR EQUAL 0 AND PACKAGE_FIND_VERSION_MINOR EQUAL $minor)
      set(PACKAGE_VERSION_COMPATIBLE TRUE)
    endif()
  elseif(PACKAGE_FIND_VERSION_MAJOR EQUAL $major)
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
  endif()
endif()
if(CMAKE_SIZEOF_VOID_P AND NOT CMAKE_SIZEOF_VOID_P EQUAL 8)
  set(PACKAGE_VERSION "\${PACKAGE_VERSION} (64bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
EOF

put 0644 "$gen/bili_qr.pc" "$libdir/pkgconfig/bili_qr.pc"
put 0644 "$gen/bili_qr-static.pc" "$libdir/pkgconfig/bili_qr-static.pc"
put 0644 "$gen/bili_qrConfig.cmake" "$libdir/cmake/bili_qr/bili_qrConfig.cmake"
put 0644 "$gen/bili_qrConfigVersion.cmake" "$libdir/cmake/bili_qr/bili_qrConfigVersion.cmake"
rm -rf "$gen"

echo "installed bili_qr $version into $stage"
echo "  lib/$realname (soname $soname, stripped), lib/libbili_qr.a, include/bili_qr.h, include/bili_qr.hpp,"
echo "  include/bili_qr_session.hpp, include/bili_qr_abi.hpp,"
echo "  lib/pkgconfig/bili_qr.pc, lib/pkgconfig/bili_qr-static.pc, lib/cmake/bili_qr/ (both relocatable)"

# The dynamic loader finds a new library in a system directory only after ldconfig has refreshed its cache.
# Decide from the loader's own search list whether PREFIX/lib is one of its directories.
system_dirs=$(ldconfig -v -N -X 2>/dev/null | sed -n 's/^\(\/[^:]*\):.*/\1/p' || true)
is_system=0
while IFS= read -r d; do
  [[ -n $d ]] || continue
  [[ $(cd "$d" 2>/dev/null && pwd -P) == "$(cd "$stage/lib" && pwd -P)" ]] && is_system=1
done <<<"$system_dirs"$'\n'"/lib"$'\n'"/usr/lib"
if [[ -n $destdir ]]; then
  echo "  staged under $destdir: the package's post-install step must run ldconfig if $prefix/lib is a system directory"
elif [[ $is_system == 1 ]]; then
  if [[ $(id -u) -eq 0 ]] && ldconfig; then
    echo "  ran ldconfig: $prefix/lib is in the loader's search path"
  else
    echo "  $prefix/lib is in the loader's search path: run 'sudo ldconfig' before starting a program linked with -lbili_qr"
  fi
else
  echo "  $prefix/lib is not in the loader's search path: link with -Wl,-rpath,$prefix/lib (CMake does this for"
  echo "  bili_qr::bili_qr), or set LD_LIBRARY_PATH=$prefix/lib"
fi

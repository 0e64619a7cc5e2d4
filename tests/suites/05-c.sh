#!/usr/bin/env bash
# The C ABI from C: the header compiles as C99/C11/C++ with -Wpedantic -Werror, only bili_qr_* is exported,
# and tests/c/test_abi.c passes plain, under ASan+UBSan, and under valgrind (no error, nothing lost).
set -euo pipefail
root=${BILI_QR_ROOT:?run through tests/run-all.sh}
out="$root/target/c-tests"
mkdir -p "$out"
cflags=(-Wall -Wextra -Wpedantic -Werror -I"$BILI_QR_INCLUDE")
libdir=$(dirname "$BILI_QR_LIBRARY")

echo "-- header compiles alone (C99, C11, C++11)"
printf '#include "bili_qr.h"\nint main(void){return bili_qr_abi_version()==BILI_QR_ABI_VERSION?0:1;}\n' > "$out/h.c"
cc -std=c99 "${cflags[@]}" -c "$out/h.c" -o "$out/h99.o"
cc -std=c11 "${cflags[@]}" -c "$out/h.c" -o "$out/h11.o"
c++ -std=c++11 -x c++ "${cflags[@]}" -c "$out/h.c" -o "$out/hpp.o"

echo "-- exported symbols are exactly the header's functions"
others=$(nm -D --defined-only "$BILI_QR_LIBRARY" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^bili_qr_' || true)
if [[ -n $others ]]; then echo "unexpected exports:"; echo "$others"; exit 1; fi
# The list comes from the header in the repository: every function it declares (lines that are not comments).
mapfile -t declared < <(grep -vE '^[[:space:]]*(\*|/|#)' "$BILI_QR_INCLUDE/bili_qr.h" \
  | grep -oE '\bbili_qr_[a-z0-9_]+\(' | tr -d '(' | sort -u)
if (( ${#declared[@]} < 10 )); then
  echo "the header declares only ${#declared[@]} functions: the export list cannot be read"; exit 1
fi
exported=$(nm -D --defined-only "$BILI_QR_LIBRARY" | awk '$2 ~ /^[TW]$/ {print $3}' | grep '^bili_qr_' | sort -u)
if ! diff <(printf '%s\n' "${declared[@]}") <(printf '%s\n' "$exported"); then
  echo "the library's exports differ from the header's functions (< header only, > library only)"; exit 1
fi
echo "${#declared[@]} functions declared and exported"

echo "-- build"
cc -std=c11 "${cflags[@]}" -O1 -g tests/c/test_abi.c -o "$out/test_abi" -L"$libdir" -lbili_qr -lpthread -Wl,-rpath,"$libdir"
cc -std=c11 "${cflags[@]}" -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer tests/c/test_abi.c \
   -o "$out/test_abi_asan" -L"$libdir" -lbili_qr -lpthread -Wl,-rpath,"$libdir"

server_log="$out/fake-server.log"
coproc SERVER { exec "$BILI_QR_FAKE_SERVER" --watch-stdin --quiet 2>"$server_log"; }
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
read -r -t 10 first <&"${SERVER[0]}"
base=${first#listening }
echo "fake server at $base"

echo "-- plain"
"$out/test_abi" "$base"
echo "-- ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$out/test_abi_asan" "$base"
echo "-- valgrind"
valgrind --quiet --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite "$out/test_abi" "$base"

echo "-- README's C example compiles"
awk '/^```c$/{on=1;next} /^```$/{on=0} on' "$root/README.md" > "$out/readme_example.c"
cc -std=c11 -Wall -Wextra -Werror -I"$BILI_QR_INCLUDE" "$out/readme_example.c" -o "$out/readme_example" -L"$libdir" -lbili_qr
echo "c: all checks passed"

#!/usr/bin/env bash
# The C ABI from C: the header compiles as C99/C11/C++ with -Wpedantic -Werror, the library exports exactly the
# header's functions, tests/c/test_abi.c (ABI 1, unchanged: the v1-compatibility proof), tests/c/test_abi2.c
# (ABI 2), tests/c/test_abi3.c (ABI 3: the mainland session life) and tests/c/test_tv.c (ABI 3: the TV token
# life) and tests/c/test_save.c (ABI 3: bili_qr_session_save, a cancel before its wait) pass plain, under
# ASan+UBSan, and under
# valgrind (no error, nothing lost), and README's three C examples (login, check, mainland) compile as written
# and run against the fake server.
set -euo pipefail
root=${BILI_QR_ROOT:?run through tests/run-all.sh}
# fail, step, scratch_dir, start_fake_server, stop_fake_server
source "$root/tests/suites/lib/common.sh"
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
for t in test_abi test_abi2 test_abi3 test_tv test_save; do
  cc -std=c11 "${cflags[@]}" -O1 -g "tests/c/$t.c" -o "$out/$t" -L"$libdir" -lbili_qr -lpthread -Wl,-rpath,"$libdir"
  cc -std=c11 "${cflags[@]}" -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer "tests/c/$t.c" \
     -o "$out/${t}_asan" -L"$libdir" -lbili_qr -lpthread -Wl,-rpath,"$libdir"
done

refresh_key="$out/refresh_public_key.pem"
scratch_dir tmp bili-qr-c
start_fake_server "$tmp" --refresh-public-key-out "$refresh_key"
echo "fake server at $base"

for t in test_abi test_abi2 test_abi3 test_tv test_save; do
  args=("$base")
  # test_abi3 refreshes a mainland session: it encrypts with the fake server's RSA test key.
  [[ $t == test_abi3 ]] && args+=("$refresh_key")
  echo "-- $t: plain"
  "$out/$t" "${args[@]}"
  echo "-- $t: ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$out/${t}_asan" "${args[@]}"
  echo "-- $t: valgrind"
  valgrind --quiet --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite "$out/$t" "${args[@]}"
done

echo "-- README's C examples: compiled as written, and run against the fake server"
rm -f "$out"/readme_*.c
awk -v dir="$out" '/^```c$/{n++; on=1; next} /^```$/{on=0} on{print > (dir "/readme_" n ".c")}' "$root/README.md"
[[ -s $out/readme_1.c && -s $out/readme_2.c ]] || { echo "README has not its two C examples (login, check)"; exit 1; }
grep -q '^/\* login.c' "$out/readme_1.c" && grep -q '^/\* check.c' "$out/readme_2.c" \
  || { echo "README's C examples are not login.c then check.c"; exit 1; }
for n in 1 2; do
  cc -std=c11 "${cflags[@]}" "$out/readme_$n.c" -o "$out/readme_$n" -L"$libdir" -lbili_qr -Wl,-rpath,"$libdir"
done
# A renderer of a given text, to know which QR code the example must draw.
printf '%s\n' '#include <stdio.h>' '#include "bili_qr.h"' \
  'int main(int c, char **v) { char *o = NULL; if (c != 2 || bili_qr_render(v[1], "utf8", &o)) return 1;' \
  '  fputs(o, stdout); bili_qr_free(o); return 0; }' > "$out/render.c"
cc -std=c11 "${cflags[@]}" "$out/render.c" -o "$out/render" -L"$libdir" -lbili_qr -Wl,-rpath,"$libdir"
# login_example N DIR NAME: README's login program N run in DIR (BILI_QR_OPTIONS set): it says it saved
# cookies.txt, which has mode 0600.
login_example() {
  mkdir -p "$2"
  (cd "$2" && "$out/readme_$1") > "$out/readme_$1.out"
  grep -q "session saved to cookies.txt" "$out/readme_$1.out" || fail "$3 did not save the session"
  [[ $(stat -c %a "$2/cookies.txt") == 600 ]] || fail "$3: cookies.txt is not mode 0600"
}
scenario="id=readme-$$,flow=wsc"
export BILI_QR_OPTIONS="{\"base_url\":\"$base/s/$scenario\",\"api_base_url\":\"$base/s/$scenario\",\"poll_interval_ms\":100}"
work=$tmp/readme1
login_example 1 "$work" login.c
# The ticket the example polled, from the server's log; the QR code drawn must be its qr_url's.
ticket=$(curl -sf "$base/__log" | python3 -c '
import json, sys
fetches = [r for r in json.load(sys.stdin) if r["path"].endswith("/qrcode/auth/fetch")]
print(fetches[-1]["query"]["ticket"])')
[[ -n $ticket ]] || { echo "no fetch in the server log"; exit 1; }
"$out/render" "https://www.bilibili.tv/h5/en/qrcode/login?ticket=$ticket" > "$out/expected_qr.txt"
python3 - "$out/readme_1.out" "$out/expected_qr.txt" <<'PY'
import sys
got, want = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
assert len(want) > 200 and want in got, "login.c did not draw the QR code of the qr_url value"
PY
(cd "$work" && "$out/readme_2") | grep -qx "valid" || { echo "check.c: the saved session is not valid"; exit 1; }
curl -sf -X POST "$base/__sessions/end" > /dev/null
status=0; (cd "$work" && "$out/readme_2") > "$out/readme_2.out" || status=$?
[[ $status == 1 ]] && grep -qx "expired: log in again" "$out/readme_2.out" \
  || { echo "check.c: an ended session is not expired (exit $status)"; exit 1; }

echo "-- README's mainland example: login, check, refresh (saved before the old session is retired), check"
[[ -s $out/readme_3.c ]] && grep -q '^/\* mainland.c' "$out/readme_3.c" \
  || { echo "README has not its mainland C example (mainland.c)"; exit 1; }
cc -std=c11 "${cflags[@]}" "$out/readme_3.c" -o "$out/readme_3" -L"$libdir" -lbili_qr -Wl,-rpath,"$libdir"
scenario="id=readme3-$$,flow=wsc"
key_json=$(python3 -c 'import json, sys; print(json.dumps(open(sys.argv[1]).read()))' "$refresh_key")
main_base="$base/s/$scenario"
export BILI_QR_OPTIONS="{\"site\":\"main\",\"base_url\":\"$main_base\",\"api_base_url\":\"$main_base\",\"www_base_url\":\"$main_base\",\"refresh_public_key\":$key_json,\"poll_interval_ms\":100}"
work3=$tmp/readme3
login_example 3 "$work3" mainland.c
grep -q $'\tac_time_value\t' "$work3/cookies.txt" || { echo "mainland.c: cookies.txt has no refresh token"; exit 1; }
cp "$work3/cookies.txt" "$work3/old.txt"
(cd "$work3" && "$out/readme_2") | grep -qx "valid" || { echo "check.c: the mainland session is not valid"; exit 1; }
(cd "$work3" && "$out/readme_3" refresh) | grep -qx "refreshed; cookies.txt updated" \
  || { echo "mainland.c refresh did not update cookies.txt"; exit 1; }
[[ $(stat -c %a "$work3/cookies.txt") == 600 ]] || { echo "mainland.c: the refreshed cookies.txt is not 0600"; exit 1; }
old_sess=$(grep $'\tSESSDATA\t' "$work3/old.txt" | cut -f7)
new_sess=$(grep $'\tSESSDATA\t' "$work3/cookies.txt" | cut -f7)
[[ -n $old_sess && -n $new_sess && $old_sess != "$new_sess" ]] || { echo "mainland.c: SESSDATA did not change"; exit 1; }
(cd "$work3" && "$out/readme_2") | grep -qx "valid" || { echo "check.c: the refreshed session is not valid"; exit 1; }
status=0; (cd "$work3" && "$out/readme_2" old.txt) > "$out/readme_3_old.out" || status=$?
[[ $status == 1 ]] && grep -qx "expired: log in again" "$out/readme_3_old.out" \
  || { echo "the session retired by the refresh is not expired (exit $status)"; exit 1; }
echo "c: all checks passed"

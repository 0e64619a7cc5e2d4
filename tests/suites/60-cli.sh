#!/usr/bin/env bash
# The bili-qr command line (cli/), run as a real binary against the fake passport server:
#   exit codes 0, 1 after refreshing, 3 and 130 (2 and 4: cli/tests/exit_codes.rs; the mainland site and
#   `refresh`: cli/tests/mainland.rs), the 0600 mode and atomicity of the outputs (an
#   existing file survives a failed or cancelled login unchanged, no temporary file is left), SIGINT, plain
#   non-TTY progress (and in-place redraw on a pseudo-terminal), --print-header, --json, --svg, --demo end to
#   end, and the cookies file read back by curl (-b/-c) and by yt-dlp (YoutubeDLCookieJar);
#   saved sessions: login -> check -> renewal saved (0600, in each file format) -> "already logged
#   in" -> --force -> logout (csrf) -> check exit 1 -> logout exit 1 -> login again -> --remove, unusable files
#   (exit 2, nothing sent); warnings of odd confirmed logins on stderr, null name/mid, --verify-login;
#   no cookie value on stdout/stderr.
# Needs: curl (.ci/deps/cli.apt), python3 with venv (for yt-dlp from PyPI, in target/cli-venv), `script`
# (util-linux, optional: the TTY check is skipped without it).
set -euo pipefail

root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cli=${BILI_QR_CLI:-$root/target/release/bili-qr}
server=${BILI_QR_FAKE_SERVER:-$root/target/release/bili-qr-fake-server}
venv=$root/target/cli-venv
YT_DLP_VERSION=2026.10.26

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "-- $*"; }
for f in "$cli" "$server"; do [[ -x $f ]] || fail "missing $f (cargo build --release --workspace)"; done
command -v curl >/dev/null || fail "curl is not installed (.ci/deps/cli.apt)"
command -v python3 >/dev/null || fail "python3 is not installed"

t=$(mktemp -d "${TMPDIR:-/tmp}/bili-qr-cli.XXXXXX")
bg_pid=
cleanup() {
  [[ -n $bg_pid ]] && kill "$bg_pid" 2>/dev/null || true
  rm -rf "$t"
}
trap cleanup EXIT

# The fake server: stdin is a pipe held by this shell (--watch-stdin), so it ends with us.
coproc SRV { exec "$server" --watch-stdin --quiet; }
read -r -t 10 first <&"${SRV[0]}" || fail "the fake server did not start"
[[ $first =~ ^listening\ (http://127\.0\.0\.1:([0-9]+))$ ]] || fail "unexpected first line: $first"
base=${BASH_REMATCH[1]}
port=${BASH_REMATCH[2]}
step "fake server $base; cli $cli ($("$cli" --version))"

# run ARGS...: runs the CLI (stdin closed), sets rc, out ($t/out), err ($t/err).
run() {
  set +e
  timeout 30 "$cli" "$@" </dev/null >"$t/out" 2>"$t/err"
  rc=$?
  set -e
}
expect_rc() {
  [[ $rc == "$1" ]] || { echo "stdout:"; cat "$t/out"; echo "stderr:"; cat "$t/err"; fail "$2: exit $rc, expected $1"; }
}
# The stderr of a failure: exactly one line "bili-qr: ...", without a whole ticket (32 hex) or a cookie.
one_line_reason() {
  [[ $(wc -l <"$t/err") == 1 ]] || { cat "$t/err"; fail "$1: stderr is not one line"; }
  grep -q '^bili-qr: ' "$t/err" || fail "$1: stderr does not start with 'bili-qr: '"
  ! grep -Eq '[0-9a-f]{32}|SESSDATA=' "$t/err" || fail "$1: stderr holds a whole ticket or a cookie"
  if [[ -n ${2:-} ]]; then grep -Eq -- "$2" "$t/err" || fail "$1: stderr lacks /$2/: $(cat "$t/err")"; fi
}
no_escapes() { ! grep -q $'\x1b' "$1" || fail "$2: ANSI escape sequences in non-terminal output"; }
log_json() { curl -sf "$base/__log"; }
# requests SCENARIO ENDPOINT(url|fetch): how many requests the server got for them.
requests() {
  log_json | python3 -c '
import json, sys
sc, ep = sys.argv[1], sys.argv[2]
print(sum(1 for r in json.load(sys.stdin) if r["path"] == f"/s/{sc}/x/intl/passport-login/qrcode/auth/{ep}"))' "$1" "$2"
}
mode_of() { stat -c %a "$1"; }
only_files() {  # only_files DIR NAMES...: DIR holds exactly these entries (no temporary file)
  local want got
  want=
  (( $# > 1 )) && want=$(printf '%s\n' "${@:2}" | sort | tr '\n' ' ')
  got=$(ls -A "$1" | sort | tr '\n' ' ')
  [[ $got == "$want" ]] || fail "$1 holds [$got], expected [$want]"
}

fast=(--poll-interval 100ms --timeout 2s)

# ---------------------------------------------------------------------------------------------------------
step "exit 0: --cookies --json --svg --print-header (progress on stderr, the header alone on stdout)"
mkdir "$t/ok"
sc="flow=wsc,id=ok"
run login --base-url "$base/s/$sc" "${fast[@]}" --cookies "$t/ok/cookies.txt" --json "$t/ok/login.json" \
  --svg "$t/ok/qr.svg" --print-header
expect_rc 0 "confirmed login"
[[ $(wc -l <"$t/out") == 1 ]] || fail "--print-header: stdout is not exactly one line"
grep -q 'logged in as DemoUser (mid 1709658507)' "$t/err" || fail "no 'logged in as' line"
no_escapes "$t/err" "--print-header progress"
only_files "$t/ok" cookies.txt login.json qr.svg
for f in cookies.txt login.json qr.svg; do
  [[ $(mode_of "$t/ok/$f") == 600 ]] || fail "$f has mode $(mode_of "$t/ok/$f"), expected 600"
done
qr_url=$(grep -Eo 'https://www\.bilibili\.tv/h5/[a-z]+/qrcode/login\?ticket=[0-9a-f]{32}' "$t/err" | head -1)
[[ -n $qr_url ]] || fail "no QR URL under the code"
log_json >"$t/ok/log.json"
python3 - "$t/ok" "$sc" "${qr_url##*ticket=}" <<'EOF' || fail "the outputs do not match what the server sent"
import json, sys
d, sc, ticket = sys.argv[1], sys.argv[2], sys.argv[3]
log = [r for r in json.load(open(f"{d}/log.json")) if r["path"].startswith(f"/s/{sc}/")]
fetches = [r for r in log if r["path"].endswith("/fetch")]
assert all(r["query"]["ticket"] == ticket for r in fetches), "polled another ticket than the one shown"
sent = [c.split(";")[0].split("=", 1) for c in fetches[-1]["set_cookies"]]
sent = {k: v for k, v in sent}
login = json.load(open(f"{d}/login.json"))
assert login["status"] == "confirmed" and login["mid"] == 1709658507, login["status"]
assert login["user_profile"]["name"] == "DemoUser"
names = [c["name"] for c in login["cookies"]]
assert names == ["SESSDATA", "bili_jct", "DedeUserID", "DedeUserID__ckMd5", "joy_jct", "mid", "sid"], names
for c in login["cookies"]:
    assert c["value"] == sent[c["name"]], c["name"]
header = open(f"{d}/../out").read()
assert header == login["cookie_header"] + "\n", "--print-header differs from the JSON cookie_header"
assert header.startswith("SESSDATA=" + sent["SESSDATA"] + "; bili_jct=")
# The Netscape file: header, 7 fields a line, the right domain/flags for each cookie.
lines = open(f"{d}/cookies.txt").read().splitlines()
assert lines[0] == "# Netscape HTTP Cookie File", lines[0]
rows = {}
for l in lines[1:]:
    if not l or (l.startswith("#") and not l.startswith("#HttpOnly_")):
        continue
    f = l.split("\t")
    assert len(f) == 7, l
    rows[f[5]] = f
assert list(rows) == names, list(rows)
by = {c["name"]: c for c in login["cookies"]}
for n, f in rows.items():
    c = by[n]
    assert f[6] == c["value"], n
    assert f[4] == str(c["expires"] or 0), (n, f[4])
    assert f[3] == ("TRUE" if c["secure"] else "FALSE"), n
    assert f[0].startswith("#HttpOnly_") == c["http_only"], n
assert rows["SESSDATA"][:2] == ["#HttpOnly_.bilibili.tv", "TRUE"], rows["SESSDATA"]
assert rows["mid"][:2] == [".biliintl.com", "TRUE"], rows["mid"]
assert rows["sid"][:5] == ["127.0.0.1", "FALSE", "/", "FALSE", "0"], rows["sid"]
EOF
# --svg is the issued code: the same document `bili-qr render URL --format svg` draws.
"$cli" render "$qr_url" --format svg >"$t/ok/render.svg"
grep -q '</svg>' "$t/ok/qr.svg" || fail "--svg is not an SVG document"
cmp -s <(cat "$t/ok/qr.svg"; [[ $(tail -c1 "$t/ok/qr.svg") == "" ]] || echo) "$t/ok/render.svg" \
  || fail "--svg is not the QR code of $qr_url"
rm "$t/ok/render.svg"
# Cookie values appear nowhere but in the outputs and the header.
sess=$(grep -Po '^#HttpOnly_\.bilibili\.tv\t.*\tSESSDATA\t\K.*' "$t/ok/cookies.txt")
! grep -qF "$sess" "$t/err" || fail "a cookie value was printed on stderr"

# ---------------------------------------------------------------------------------------------------------
step "curl reads the cookies file: sends the host-only cookie to 127.0.0.1, keeps every line in its jar"
curl -sf -b "$t/ok/cookies.txt" -c "$t/curl-jar.txt" "$base/s/id=curl/x/intl/passport-login/qrcode/auth/url" >/dev/null \
  || fail "curl -b failed"
log_json >"$t/curl-log.json"
python3 - "$t/ok/login.json" "$t/curl-jar.txt" "$t/curl-log.json" <<'EOF' || fail "curl did not read the cookies file as written"
import json, sys
login = json.load(open(sys.argv[1]))
vals = {c["name"]: c["value"] for c in login["cookies"]}
rec = [r for r in json.load(open(sys.argv[3])) if r["path"].startswith("/s/id=curl/")][-1]
# Only sid is for 127.0.0.1; the .bilibili.tv/.biliintl.com cookies must not be sent there.
assert rec["headers"].get("cookie") == "sid=" + vals["sid"], rec["headers"].get("cookie")
jar = {}
for l in open(sys.argv[2]).read().splitlines():
    if l.startswith("#HttpOnly_"):
        l = l[len("#HttpOnly_"):]
        http_only = True
    elif not l or l.startswith("#"):
        continue
    else:
        http_only = False
    f = l.split("\t")
    jar[f[5]] = (f[0], f[6], http_only)
want = {c["name"]: (("." + c["domain"]) if c["domain"] else "127.0.0.1", c["value"], c["http_only"]) for c in login["cookies"]}
assert jar == want, (jar, want)
EOF

# ---------------------------------------------------------------------------------------------------------
step "sessions: login -> check (valid) -> renewal saved (0600, same format)"
mkdir "$t/s"
c="$t/s/cookies.txt"
api="$base/s/id=api"
secrets="$t/secrets"   # every cookie value handed out below (but DedeUserID/mid: the account number)
: >"$secrets"
add_secrets() {  # add_secrets COOKIES.TXT
  awk -F'\t' 'NF == 7 && $6 != "DedeUserID" && $6 != "mid" && length($7) >= 6 {print $7}' "$1" >>"$secrets"
}
no_secret_printed() {  # neither stdout nor stderr of the last run holds a cookie value
  [[ -s $secrets ]] || fail "no cookie values collected"
  if grep -qF -f "$secrets" "$t/out" "$t/err"; then fail "$1: a cookie value was printed"; fi
}
v2user_requests() { log_json | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r["path"].endswith("/intl/gateway/web/v2/user")))'; }
run login --base-url "$base/s/id=s1" "${fast[@]}" --api-base-url "$api" --cookies "$c"
expect_rc 0 "login (sessions)"
add_secrets "$c"
no_secret_printed "login"
[[ $(mode_of "$c") == 600 ]] || fail "cookies file mode $(mode_of "$c")"
sess1=$(grep -Po '\tSESSDATA\t\K.*' "$c")
run check --cookies "$c" --api-base-url "$api"
expect_rc 0 "check (valid)"
[[ $(cat "$t/out") == "logged in as DemoUser (mid 1709658507)" ]] || fail "check printed: $(cat "$t/out")"
[[ ! -s $t/err ]] || fail "check: stderr: $(cat "$t/err")"
log_json | python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin) if r["path"] == "/s/id=api/intl/gateway/web/v2/user"][-1]
assert r["method"] == "GET" and r["query"].get("platform") == "web", r["query"]
assert "SESSDATA=" + sys.argv[1] in r["cookies"], "check did not send the saved SESSDATA"' "$sess1" \
  || fail "check did not ask v2/user with the saved cookies"

chmod 644 "$c"
run check --cookies "$c" --api-base-url "$base/s/renew=1,id=renew"
expect_rc 0 "check (renewed)"
no_secret_printed "check (renewed)"
grep -qx "logged in as DemoUser (mid 1709658507)" "$t/out" || fail "check (renewed): $(cat "$t/out")"
grep -qF "the service renewed the session: saved the new cookies to $c (Netscape format)" "$t/out" \
  || fail "the renewal is not announced: $(cat "$t/out")"
[[ $(mode_of "$c") == 600 ]] || fail "the renewed file has mode $(mode_of "$c"), expected 600"
[[ $(head -1 "$c") == "# Netscape HTTP Cookie File" ]] || fail "the renewed file is not a cookies.txt any more"
sess2=$(grep -Po '^#HttpOnly_\.bilibili\.tv\tTRUE\t/\tTRUE\t[0-9]+\tSESSDATA\t\K.*' "$c") || fail "no SESSDATA line after renewal"
[[ $sess2 != "$sess1" ]] || fail "the renewed SESSDATA was not saved"
log_json | python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin) if r["path"] == "/s/renew=1,id=renew/intl/gateway/web/v2/user"][-1]
sent = [c.split(";")[0] for c in r["set_cookies"]]
assert "SESSDATA=" + sys.argv[1] in sent, "the saved SESSDATA is not the one the server set"' "$sess2" \
  || fail "the renewed value differs from the server's"
add_secrets "$c"
only_files "$t/s" cookies.txt
# The old value is logged out now: the saved (renewed) file is what still checks as valid.
run check --cookies "$c" --api-base-url "$api"
expect_rc 0 "check after the renewal"

# A Cookie header file and a JSON file are renewed in their own format.
# (Two logins: a renewal ends the old value, so the two files must not hold the same session.)
run login --base-url "$base/s/id=s1h" "${fast[@]}" --api-base-url "$api" --print-header
expect_rc 0 "login --print-header (sessions)"
cp "$t/out" "$t/s/header.txt"
tr ';' '\n' <"$t/s/header.txt" | grep -vE '^ *(DedeUserID|mid)=' | sed -E 's/^ *[A-Za-z_]+=//' | grep -E '.{6}' >>"$secrets" \
  || fail "no values in the header"
run login --base-url "$base/s/id=s1j" "${fast[@]}" --api-base-url "$api" --json "$t/s/login.json"
expect_rc 0 "login --json (sessions)"
python3 -c 'import json,sys; [print(c["value"]) for c in json.load(open(sys.argv[1]))["cookies"] if c["name"] not in ("DedeUserID","mid")]' \
  "$t/s/login.json" >>"$secrets"
for f in header.txt login.json; do
  run check --cookies "$t/s/$f" --api-base-url "$base/s/renew=1,id=renew-$f"
  expect_rc 0 "check $f (renewed)"
  no_secret_printed "check $f"
  [[ $(mode_of "$t/s/$f") == 600 ]] || fail "$f: mode $(mode_of "$t/s/$f") after renewal"
done
grep -qF "saved the new cookies to $t/s/login.json (JSON session object)" "$t/out" || fail "login.json: $(cat "$t/out")"
[[ $(wc -l <"$t/s/header.txt") == 1 ]] && grep -Eq '^SESSDATA=[^;]+; bili_jct=' "$t/s/header.txt" \
  || fail "header.txt is no longer one Cookie header line"
python3 - "$t/s/login.json" "$t/s/header.txt" <<'PY' || fail "the renewed JSON and header files are not sessions"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["mid"] == 1709658507 and j["host"] == "127.0.0.1", (j["mid"], j["host"])
sess = {c["name"]: c["value"] for c in j["cookies"]}["SESSDATA"]
assert j["cookie_header"].startswith("SESSDATA=" + sess + ";")
assert "SESSDATA=" + sess not in open(sys.argv[2]).read(), "two separate renewals gave the same SESSDATA"
PY
only_files "$t/s" cookies.txt header.txt login.json

step "sessions: login with a valid file says 'already logged in' and changes nothing; --force logs in"
sum=$(sha256sum <"$c")
run login --base-url "$base/s/id=s2" "${fast[@]}" --api-base-url "$api" --cookies "$c"
expect_rc 0 "login over a valid session"
no_secret_printed "already logged in"
grep -qF "already logged in as DemoUser (mid 1709658507) ($c holds a valid session; nothing was changed" "$t/out" \
  || fail "no 'already logged in': $(cat "$t/out")"
! grep -q '█' "$t/out" || fail "a QR code was drawn although already logged in"
[[ $(requests "id=s2" url) == 0 ]] || fail "already logged in, yet a QR code was asked for"
[[ $(sha256sum <"$c") == "$sum" ]] || fail "already logged in, yet the file changed"
run login --base-url "$base/s/id=s2" "${fast[@]}" --api-base-url "$api" --cookies "$c" --print-header
expect_rc 0 "login --print-header over a valid session"
[[ $(wc -l <"$t/out") == 1 ]] && grep -qF "SESSDATA=$(grep -Po '\tSESSDATA\t\K.*' "$c"); bili_jct=" "$t/out" \
  || fail "already logged in: --print-header does not print the saved session's header"
grep -q '^already logged in as DemoUser' "$t/err" || fail "--print-header: the note is not on stderr"
[[ $(requests "id=s2" url) == 0 && $(sha256sum <"$c") == "$sum" ]] || fail "--print-header over a valid session logged in"
run login --base-url "$base/s/id=s3" "${fast[@]}" --api-base-url "$api" --cookies "$c" --force
expect_rc 0 "login --force"
[[ $(requests "id=s3" url) == 1 ]] || fail "--force did not log in"
grep -qx "logged in as DemoUser (mid 1709658507)" "$t/out" || fail "--force: $(cat "$t/out")"
[[ $(sha256sum <"$c") != "$sum" ]] || fail "--force did not replace the file"
add_secrets "$c"
only_files "$t/s" cookies.txt header.txt login.json

step "sessions: logout (csrf sent) -> check exit 1 -> logout again exit 1 -> login logs in again; --remove"
sed -E 's/^(\.bilibili\.tv\tTRUE\t\/\tTRUE\t[0-9]+\tbili_jct\t).*/\1ffffffffffffffffffffffffffffffff/' "$c" >"$t/s/wrongjct.txt"
! cmp -s "$c" "$t/s/wrongjct.txt" || fail "could not change bili_jct in the copy"
run logout --cookies "$t/s/wrongjct.txt" --base-url "$base/s/id=lo"
expect_rc 4 "logout with a wrong bili_jct"
one_line_reason "logout, wrong csrf" "csrf"
no_secret_printed "logout, wrong csrf"
rm "$t/s/wrongjct.txt"
jct=$(grep -Po '\tbili_jct\t\K.*' "$c")
run logout --cookies "$c" --base-url "$base/s/id=lo"
expect_rc 0 "logout"
no_secret_printed "logout"
grep -qxF "logged out (mid 1709658507); $c is left in place; its cookies no longer log in (--remove deletes it)" "$t/out" \
  || fail "logout printed: $(cat "$t/out")"
[[ -f $c ]] || fail "logout without --remove removed the file"
log_json | python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin) if r["path"] == "/s/id=lo/x/intl/passport-login/web/login/exit"][-1]
assert r["method"] == "POST" and r["query"].get("csrf") == sys.argv[1] and r["form"].get("csrf") == sys.argv[1], r["method"]' "$jct" \
  || fail "logout did not POST the csrf (bili_jct) in the query and the form"
run check --cookies "$c" --api-base-url "$api"
expect_rc 1 "check after logout"
one_line_reason "check after logout" "expired or was logged out"
[[ ! -s $t/out ]] || fail "check (expired) printed on stdout: $(cat "$t/out")"
run logout --cookies "$c" --base-url "$base/s/id=lo"
expect_rc 1 "logout twice"
one_line_reason "logout twice" "already logged out"
[[ -f $c ]] || fail "logout (already logged out) removed the file without --remove"
sum=$(sha256sum <"$c")
run login --base-url "$base/s/id=s4" "${fast[@]}" --api-base-url "$api" --cookies "$c"
expect_rc 0 "login over an ended session"
grep -qF "the session saved in $c has expired or was logged out; logging in again" "$t/out" \
  || fail "login over an ended session does not say why it logs in: $(cat "$t/out")"
[[ $(requests "id=s4" url) == 1 && $(sha256sum <"$c") != "$sum" ]] || fail "login over an ended session did not log in"
add_secrets "$c"
run logout --cookies "$c" --base-url "$base/s/id=lo" --remove
expect_rc 0 "logout --remove"
grep -qxF "logged out (mid 1709658507); removed $c" "$t/out" || fail "logout --remove printed: $(cat "$t/out")"
[[ ! -e $c ]] || fail "logout --remove left the file"
run check --cookies "$c" --api-base-url "$api"
expect_rc 2 "check of a missing file"
one_line_reason "check, missing file" "does not exist"
cp "$t/s/header.txt" "$t/s/dead.txt"
run logout --cookies "$t/s/dead.txt" --base-url "$base/s/id=lo"
expect_rc 0 "logout (header file)"
run logout --cookies "$t/s/dead.txt" --base-url "$base/s/id=lo" --remove
expect_rc 1 "logout --remove of an ended session"
one_line_reason "logout --remove, ended" "already logged out.*removed"
[[ ! -e $t/s/dead.txt ]] || fail "logout --remove of an ended session left the file"

step "sessions: unusable files are exit 2 with nothing sent; a closed port is exit 3"
n0=$(v2user_requests)
printf '\x00\xff\xfe binary' >"$t/s/bin.txt"
printf 'bili_jct=abcdef0123456789; DedeUserID=1\n' >"$t/s/nosess.txt"
printf '{"cookies": [' >"$t/s/broken.json"
: >"$t/s/empty.txt"
head -c 2000000 /dev/zero | tr '\0' 'a' >"$t/s/huge.txt"
for f in bin.txt nosess.txt broken.json empty.txt huge.txt; do
  run check --cookies "$t/s/$f" --api-base-url "$api"
  expect_rc 2 "check $f"
  one_line_reason "check $f" "$f"
  ! grep -q abcdef0123456789 "$t/err" || fail "check $f: the file's content was printed"
  run logout --cookies "$t/s/$f" --base-url "$base/s/id=lo"
  expect_rc 2 "logout $f"
done
[[ $(v2user_requests) == "$n0" ]] || fail "an unusable session file was still sent"
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
run check --cookies "$t/s/header.txt" --api-base-url "http://127.0.0.1:$closed_port" --timeout 2s
expect_rc 3 "check, closed port"
one_line_reason "check, closed port"
for f in check logout; do
  run "$f" --help; expect_rc 0 "$f --help"
  for flag in --cookies --base-url --api-base-url --timeout --proxy --ca-file --user-agent; do
    grep -q -- "$flag" "$t/out" || fail "$f --help does not document $flag"
  done
done
grep -q -- "--remove" "$t/out" || fail "logout --help does not document --remove"

step "warnings of odd confirmed logins on stderr; null name/mid; --verify-login"
for sc in "confirm=nulls" "gourl=hop404" "confirm=empty,gourl=query"; do
  rm -f "$t/s/w.txt"
  run login --base-url "$base/s/$sc,id=w" "${fast[@]}" --api-base-url "$api" --cookies "$t/s/w.txt" --verify-login
  expect_rc 0 "odd login $sc"
  add_secrets "$t/s/w.txt"
  no_secret_printed "odd login $sc"
  grep -q '^warning: ' "$t/err" || fail "$sc: no warning on stderr"
  ! grep -qv '^warning: ' "$t/err" || fail "$sc: stderr holds more than warnings: $(cat "$t/err")"
  grep -q "; the gateway accepts the new session (--verify-login)$" "$t/out" || fail "$sc: not shown as verified: $(cat "$t/out")"
  run check --cookies "$t/s/w.txt" --api-base-url "$api"
  expect_rc 0 "check after $sc"
done
run login --base-url "$base/s/confirm=nulls,id=w2" "${fast[@]}"
expect_rc 0 "confirm=nulls"
grep -qx 'logged in (mid 1709658507)' "$t/out" || fail "confirm=nulls: no 'logged in (mid N)' line: $(cat "$t/out")"
grep -qx 'warning: data.user_profile is missing or not an object' "$t/err" || fail "confirm=nulls: $(cat "$t/err")"
run login --base-url "$base/s/gourl=hop404,id=w3" "${fast[@]}"
expect_rc 0 "gourl=hop404"
grep -q '^warning: go_url answered HTTP 404' "$t/err" || fail "gourl=hop404: $(cat "$t/err")"
run login --base-url "$base/s/id=w4" "${fast[@]}" --api-base-url "$base/s/verify=down" --verify-login
expect_rc 0 "--verify-login with the gateway down"
grep -q "; not verified: the gateway could not be asked (--verify-login)$" "$t/out" || fail "verify=down: $(cat "$t/out")"
grep -q '^warning: --verify-login: ' "$t/err" || fail "verify=down: no warning naming --verify-login: $(cat "$t/err")"
run login --base-url "$base/s/id=w5" "${fast[@]}" --api-base-url "$base/s/verify=reject" --verify-login --cookies "$t/s/rej.txt"
expect_rc 4 "--verify-login, session refused"
one_line_reason "--verify-login refused"
[[ ! -e $t/s/rej.txt ]] || fail "a session the gateway refused was saved"

# ---------------------------------------------------------------------------------------------------------
step "exit 0 without a terminal: plain one-line progress on stdout, no escape sequences"
sc="flow=wwsssc,id=plain,foreign=1"
run login --base-url "$base/s/$sc" "${fast[@]}"
expect_rc 0 "plain progress"
no_escapes "$t/out" "stdout"
# stderr holds only the library's warnings: the fake server's confirmed answer sets a cookie for a foreign domain.
! grep -qv '^warning: ' "$t/err" || fail "stderr holds more than warnings on success: $(cat "$t/err")"
grep -q '^warning: .*evil\.example\.com' "$t/err" || fail "the dropped foreign cookie is not warned about: $(cat "$t/err")"
grep -q '█' "$t/out" || fail "no QR drawing on stdout"
for s in "waiting for the scan" "scanned, waiting for confirmation in the app" "logged in as DemoUser (mid 1709658507)"; do
  [[ $(grep -cxF "$s" "$t/out") == 1 ]] || fail "the line '$s' is not there exactly once"
done
[[ $(grep -n -xF -e "waiting for the scan" -e "scanned, waiting for confirmation in the app" \
     -e "logged in as DemoUser (mid 1709658507)" "$t/out" | cut -d: -f2- | tr '\n' '|') == \
   "waiting for the scan|scanned, waiting for confirmation in the app|logged in as DemoUser (mid 1709658507)|" ]] \
  || fail "the states are not in order"

if command -v script >/dev/null; then
  step "on a terminal (script(1) pseudo-terminal): the status line is redrawn in place"
  sc="flow=wwsssc,id=tty"
  set +e
  TERM=xterm timeout 30 script -qec "'$cli' login --base-url '$base/s/$sc' --poll-interval 100ms" /dev/null \
    </dev/null >"$t/tty.out" 2>&1
  rc=$?
  set -e
  [[ $rc == 0 ]] || { cat "$t/tty.out"; fail "login on a pseudo-terminal: exit $rc"; }
  grep -q $'\r\x1b\\[2Kscanned, waiting for confirmation in the app\r\x1b\\[2Klogged in as DemoUser' "$t/tty.out" \
    || { cat -v "$t/tty.out" | tail -3; fail "no in-place redraw on a terminal"; }
elif [[ ${CI:-} == true ]]; then
  fail "script (util-linux) is not installed: the terminal check cannot be skipped under CI=true"
fi

# ---------------------------------------------------------------------------------------------------------
step "exit 1: the code expires, is refreshed once (--max-refresh 1), expires again; outputs untouched"
mkdir "$t/exp"
printf 'keep me\n' >"$t/exp/cookies.txt"; chmod 644 "$t/exp/cookies.txt"
sc="flow=we,id=exp"
run login --base-url "$base/s/$sc" "${fast[@]}" --max-refresh 1 --cookies "$t/exp/cookies.txt" --json "$t/exp/l.json"
expect_rc 1 "expired twice"
one_line_reason "expired" "expired 2 times"
[[ $(requests "$sc" url) == 2 ]] || fail "expected 2 QR codes (1 refresh), the server issued $(requests "$sc" url)"
[[ $(grep -Eo 'ticket=[0-9a-f]{32}' "$t/out" | sort -u | wc -l) == 2 ]] || fail "the refreshed code was not shown"
grep -q 'new code 1 of 1' "$t/out" || fail "the refresh is not announced"
grep -qF "not using the saved session ($t/exp/cookies.txt: session has no SESSDATA" "$t/out" \
  || fail "login --cookies over a file without a session does not say why it logs in"
[[ $(cat "$t/exp/cookies.txt") == "keep me" && $(mode_of "$t/exp/cookies.txt") == 644 ]] \
  || fail "an existing cookies file was changed by a failed login"
only_files "$t/exp" cookies.txt

run login --base-url "$base/s/flow=e,id=exp0" "${fast[@]}" --max-refresh 0
expect_rc 1 "--max-refresh 0"
[[ $(requests "flow=e,id=exp0" url) == 1 ]] || fail "--max-refresh 0 refreshed"

# Exit 2 (usage errors, nothing asked), --help/--version/render: cli/tests/exit_codes.rs.

# ---------------------------------------------------------------------------------------------------------
step "exit 3: closed port, request timeout, wait timeout"
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
run login --base-url "http://127.0.0.1:$closed" --max-retries 0 --timeout 2s
expect_rc 3 "closed port"; one_line_reason "closed port"
start=$(date +%s%N)
run login --base-url "$base/s/fault=slow,delay=3000,id=slow" --timeout 300ms --max-retries 0
expect_rc 3 "slow server"; one_line_reason "slow server"
(( ($(date +%s%N) - start) / 1000000 < 2500 )) || fail "--timeout 300ms did not bound the request"
run login --base-url "$base/s/flow=w,id=wt" --poll-interval 200ms --wait-timeout 1s --cookies "$t/exp/cookies.txt"
expect_rc 3 "wait timeout"; one_line_reason "wait timeout" "wait_timeout|not confirmed"
[[ $(cat "$t/exp/cookies.txt") == "keep me" ]] || fail "a timed-out login changed the cookies file"

# Exit 4 (refused by the server, outputs untouched): cli/tests/exit_codes.rs.

# ---------------------------------------------------------------------------------------------------------
# sigint_case SCENARIO: starts a login that never completes, sends SIGINT once it waits, checks 130, promptness,
# and that nothing was written.
sigint_case() {
  local sc=$1 t0 t1 i
  rm -f "$t/exp/l.json"
  "$cli" login --base-url "$base/s/$sc" --poll-interval 200ms --timeout 5s --cookies "$t/exp/cookies.txt" \
    --json "$t/exp/l.json" </dev/null >"$t/out" 2>"$t/err" &
  bg_pid=$!
  for i in $(seq 200); do grep -q 'waiting for the scan' "$t/out" && break; sleep 0.05; done
  grep -q 'waiting for the scan' "$t/out" || { cat "$t/out" "$t/err"; log_json | tail -c 600; echo
    fail "$sc: the login did not start waiting within 10 s"; }
  sleep 0.5   # into the wait (several polls, or a slow request in flight)
  t0=$(date +%s%N)
  kill -INT "$bg_pid"
  set +e; wait "$bg_pid"; rc=$?; set -e
  bg_pid=
  t1=$(date +%s%N)
  expect_rc 130 "SIGINT ($sc)"
  one_line_reason "SIGINT" "cancelled"
  (( (t1 - t0) / 1000000 < 1000 )) || fail "$sc: exit took $(( (t1 - t0) / 1000000 )) ms after SIGINT"
  echo "   $sc: exit 130 $(( (t1 - t0) / 1000000 )) ms after SIGINT"
  [[ $(cat "$t/exp/cookies.txt") == "keep me" ]] || fail "$sc: a cancelled login changed the cookies file"
  only_files "$t/exp" cookies.txt
}
step "exit 130: SIGINT while waiting (between polls, and during a slow poll request)"
sigint_case "flow=w,id=int1"
sigint_case "fault=slow,on=fetch,delay=4000,id=int2"

# ---------------------------------------------------------------------------------------------------------
step "--demo end to end (in-process fake server, phone scans at ~2 s, confirms at ~4 s)"
mkdir "$t/demo"
start=$(date +%s%N)
pushd "$t/demo" >/dev/null
run login --demo --cookies cookies.txt
popd >/dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 0 "--demo"
grep -q 'OFFLINE DEMO' "$t/out" || fail "--demo does not say it is an offline demo"
grep -q 'logged in as DemoUser' "$t/out" || fail "--demo did not log in"
grep -q 'scanned, waiting for confirmation' "$t/out" || fail "--demo did not show the scanned state"
(( ms >= 3500 && ms < 15000 )) || fail "--demo took $ms ms (expected about 4 s)"
[[ $(mode_of "$t/demo/cookies.txt") == 600 ]] || fail "--demo cookies file mode"
grep -q $'^#HttpOnly_\\.bilibili\\.tv\tTRUE\t/\tTRUE\t[0-9]*\tSESSDATA\t' "$t/demo/cookies.txt" || fail "--demo cookies file"
only_files "$t/demo" cookies.txt
echo "   demo: $ms ms"

# ---------------------------------------------------------------------------------------------------------
step "yt-dlp reads the cookies file (YoutubeDLCookieJar from PyPI yt-dlp==$YT_DLP_VERSION, venv $venv)"
if ! "$venv/bin/python" -c "import yt_dlp.version as v, sys; sys.exit(v.__version__ != '$YT_DLP_VERSION')" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/pip" install -q "yt-dlp==$YT_DLP_VERSION" || fail "pip install yt-dlp failed"
fi
"$venv/bin/python" - "$t/ok/cookies.txt" "$t/ok/login.json" <<'EOF' || fail "yt-dlp did not read the cookies file as written"
import json, sys
from yt_dlp.cookies import YoutubeDLCookieJar
jar = YoutubeDLCookieJar(sys.argv[1])
jar.load(ignore_discard=True, ignore_expires=True)
login = json.load(open(sys.argv[2]))
got = {c.name: c for c in jar}
assert sorted(got) == sorted(c["name"] for c in login["cookies"]), sorted(got)
for c in login["cookies"]:
    y = got[c["name"]]
    assert y.value == c["value"], c["name"]
    assert y.domain == ("." + c["domain"] if c["domain"] else "127.0.0.1"), (c["name"], y.domain)
    assert bool(y.secure) == c["secure"], c["name"]
    assert y.expires == c["expires"], (c["name"], y.expires, c["expires"])
# yt-dlp sends them where they belong: SESSDATA to www.bilibili.tv over https, not to another site.
import urllib.request
req = urllib.request.Request("https://www.bilibili.tv/en/video/1")
jar.add_cookie_header(req)
hdr = req.get_header("Cookie") or ""
assert "SESSDATA=" + {c["name"]: c["value"] for c in login["cookies"]}["SESSDATA"] in hdr, "SESSDATA not sent"
req = urllib.request.Request("https://example.com/")
jar.add_cookie_header(req)
assert not req.get_header("Cookie"), req.get_header("Cookie")
print(f"   yt-dlp loaded {len(got)} cookies")
EOF

echo "cli: all checks passed"

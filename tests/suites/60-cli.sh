#!/usr/bin/env bash
# The bili-qr command line (cli/) where it needs the shell and other programs, run as a real binary against the
# fake passport server: the cookies file read back by curl (-b/-c) and by yt-dlp (YoutubeDLCookieJar), and the
# in-place redraw of the status line on a pseudo-terminal (script(1)).
# The CLI's own behaviour is tested in Rust, by `cargo test --workspace` (tests/suites/00-rust.sh):
#   cli/tests/login_outputs.rs  a confirmed login's outputs (--cookies, --json, --svg, --print-header: mode 0600,
#                               no temporary file, the server's values), plain progress without a terminal,
#                               warnings and --verify-login, exit 1 (expiry, --max-refresh), exit 3, exit 130
#                               on SIGINT, --demo; outputs untouched by failed or cancelled logins
#   cli/tests/saved_sessions.rs login -> check -> renewal saved in each format -> "already logged in" -> --force
#                               -> logout (csrf) -> check exit 1 -> logout exit 1 -> login again -> --remove;
#                               unusable files (exit 2, nothing sent), a closed port (exit 3)
#   cli/tests/exit_codes.rs     exit 2 (usage) and 4 (refused); cli/tests/mainland.rs the mainland and TV sites
# Needs: curl (.ci/deps/cli.apt), python3 with venv (for yt-dlp from PyPI, in target/cli-venv), `script`
# (util-linux, optional: the TTY check is skipped without it, but not under CI=true).
set -euo pipefail

root=${BILI_QR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# fail, step, need_release_bins, scratch_dir, start_fake_server, stop_fake_server
source "$root/tests/suites/lib/common.sh"
need_release_bins
venv=$root/target/cli-venv
YT_DLP_VERSION=2026.10.26
command -v curl >/dev/null || fail "curl is not installed (.ci/deps/cli.apt)"
command -v python3 >/dev/null || fail "python3 is not installed"

scratch_dir t bili-qr-cli
start_fake_server "$t"
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
log_json() { curl -sf "$base/__log"; }
fast=(--poll-interval 100ms --timeout 2s)

# ---------------------------------------------------------------------------------------------------------
step "a login writes cookies.txt and login.json (for curl and yt-dlp to read)"
mkdir "$t/ok"
run login --base-url "$base/s/flow=wsc,id=ok" "${fast[@]}" --cookies "$t/ok/cookies.txt" --json "$t/ok/login.json"
expect_rc 0 "confirmed login"

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

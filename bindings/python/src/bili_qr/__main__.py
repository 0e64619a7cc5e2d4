"""``python -m bili_qr login``: log in from a terminal by scanning a QR code with the BiliBili app.

Exit status: 0 logged in, 1 an error, 2 bad usage, 3 the QR code expired, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

import bili_qr


def _login(args: argparse.Namespace) -> int:
    options = {
        "base_url": args.base_url,
        "locale": args.locale,
        "timeout_ms": args.timeout_ms,
        "proxy": args.proxy,
    }
    out = sys.stdout
    qr = bili_qr.start(**options)
    out.write(bili_qr.render(qr.qr_url, "utf8"))
    out.write("Scan this QR code with the BiliBili app, then confirm the login in the app.\n")
    out.write(f"(or open {qr.qr_url} on the phone)\n" if args.show_url else "")
    out.flush()
    last: List[str] = []

    def progress(result: bili_qr.PollResult) -> None:
        if last and last[-1] == result.status:
            return
        last.append(result.status)
        if result.status == "waiting":
            out.write("waiting for the scan…\n")
        elif result.status == "scanned":
            out.write("scanned: confirm the login in the app…\n")
        out.flush()

    login = bili_qr.wait(
        qr.ticket,
        progress,
        poll_interval_ms=args.poll_interval_ms,
        wait_timeout_ms=args.wait_timeout_ms,
        **options,
    )
    out.write(f"logged in as {login.name} ({login.mid})\n")
    if args.cookies:
        login.save_cookies_txt(args.cookies)
        out.write(f"cookies written to {args.cookies} (Netscape format, mode 0600; e.g. yt-dlp --cookies)\n")
    out.flush()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bili_qr", description="bilibili.tv QR-code login")
    parser.add_argument("--version", action="version", version=f"bili_qr {bili_qr.__version__}")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("login", help="log in by scanning a QR code with the BiliBili app")
    p.add_argument("--base-url", help="passport server (default https://passport.bilibili.tv)")
    p.add_argument("--locale", help="s_locale, e.g. en_US (default), th_TH, vi_VN")
    p.add_argument("--proxy", help='http://, https://, socks5h:// or socks5:// proxy URL ("" for none)')
    p.add_argument("--timeout-ms", type=int, help="bound of one request (default 10000)")
    p.add_argument("--poll-interval-ms", type=int, help="time between polls (default 2000)")
    p.add_argument("--wait-timeout-ms", type=int, help="give up after this long (default 300000)")
    p.add_argument("--cookies", metavar="FILE", help="write the session cookies to FILE (Netscape cookies.txt)")
    p.add_argument("--show-url", action="store_true", help="also print the QR code's URL")
    args = parser.parse_args(argv)
    if args.command != "login":
        parser.print_help(sys.stderr)
        return 2
    try:
        return _login(args)
    except bili_qr.ExpiredError:
        print("error: the QR code expired before the login was confirmed; run again", file=sys.stderr)
        return 3
    except bili_qr.Error as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

use super::*;

const SESS: &str = "9f3c1a2b%2C1811061062%2C5e7d1%2A51";

fn poll_object() -> String {
    serde_json::json!({
        "status": "confirmed", "code": 0, "message": "0", "mid": 1709658507,
        "host": "passport.bilibili.tv",
        "cookies": [
            {"name": "SESSDATA", "value": SESS, "domain": "bilibili.tv", "path": "/", "expires": 1811061062, "secure": true, "http_only": true},
            {"name": "bili_jct", "value": "0123456789abcdef0123456789abcdef", "domain": "bilibili.tv", "path": "/", "expires": 1811061062, "secure": true, "http_only": false},
            {"name": "DedeUserID", "value": "1709658507", "domain": "bilibili.tv", "path": "/", "expires": 1811061062, "secure": true, "http_only": false},
            {"name": "sid", "value": "s1", "domain": null, "path": "/", "expires": null, "secure": false, "http_only": false},
            {"name": "evil", "value": "x", "domain": "evil.example", "path": "/", "expires": null, "secure": false, "http_only": false},
            {"name": "bad;name", "value": "x"},
            {"name": "nl", "value": "a\nb"}
        ],
        "cookie_header": "ignored"
    })
    .to_string()
}

#[test]
fn a_poll_object_is_read_and_foreign_or_bad_cookies_dropped() {
    let s = Session::parse(&poll_object()).unwrap();
    let names: Vec<_> = s.cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["SESSDATA", "bili_jct", "DedeUserID", "sid"]);
    assert_eq!(s.mid, Some(1709658507));
    assert_eq!(s.host, "passport.bilibili.tv");
    assert!(s
        .cookie_header()
        .starts_with(&format!("SESSDATA={SESS}; bili_jct=")));
}

#[test]
fn the_three_formats_round_trip() {
    let s = Session::parse(&poll_object()).unwrap();
    for format in [SessionFormat::Json, SessionFormat::Netscape] {
        let text = s.write(format);
        assert_eq!(Session::parse(&text).unwrap(), s, "{format:?}: {text}");
    }
    let header = s.write(SessionFormat::Header);
    let back = Session::parse(&header).unwrap();
    assert_eq!(back.cookie_header(), s.cookie_header());
    assert_eq!(back.mid, s.mid);
    let back = Session::parse(&format!("Cookie: {header}")).unwrap();
    assert_eq!(back.cookie_header(), s.cookie_header());
}

/// A file saved with a UTF-8 byte order mark (Notepad's "UTF-8 with BOM") reads as the same session, in each
/// format; the mark is not taken for part of a cookie name.
#[test]
fn a_byte_order_mark_before_a_session_is_ignored() {
    let s = Session::parse(&poll_object()).unwrap();
    for format in [SessionFormat::Json, SessionFormat::Netscape] {
        let text = format!("\u{feff}{}", s.write(format));
        assert_eq!(Session::parse(&text).unwrap(), s, "{format:?}");
    }
    let header = format!("\u{feff}{}", s.write(SessionFormat::Header));
    let back = Session::parse(&header).unwrap();
    assert_eq!(back.cookie_header(), s.cookie_header());
    assert!(Session::parse("\u{feff}").is_err());
}

#[test]
fn netscape_lines() {
    let s = Session::parse(&poll_object()).unwrap();
    let text = s.write(SessionFormat::Netscape);
    assert!(text.starts_with("# Netscape HTTP Cookie File\n"));
    assert!(text.contains(&format!(
        "\n#HttpOnly_.bilibili.tv\tTRUE\t/\tTRUE\t1811061062\tSESSDATA\t{SESS}\n"
    )));
    assert!(text.contains("\npassport.bilibili.tv\tFALSE\t/\tFALSE\t0\tsid\ts1\n"));
    // Malformed lines are skipped, not fatal; CRLF line ends are fine.
    let messy = format!(
        "# Netscape HTTP Cookie File\r\nnot a cookie line\r\n.bilibili.tv\tTRUE\t/\tTRUE\tsoon\tx\ty\r\n.bilibili.tv\tTRUE\t/\tTRUE\t0\tSESSDATA\t{SESS}\r\n"
    );
    let m = Session::parse(&messy).unwrap();
    assert_eq!(m.cookie_header(), format!("SESSDATA={SESS}"));
}

#[test]
fn bad_sessions_are_argument_errors_without_values() {
    let long = "a".repeat(MAX_SESSION + 1);
    let cases = [
        "",
        "   \n",
        "{",
        "{\"cookies\":[]}",
        "[1,2]",
        "bili_jct=abcdefgh123; DedeUserID=1",
        "SESSDATA=",
        "SESSDATA=abc\u{1}defghij",
        "\u{0}\u{1}\u{2}\u{3}garbage\u{7f}",
        long.as_str(),
        "# Netscape HTTP Cookie File\n# nothing\n",
    ];
    for case in cases {
        let e = Session::parse(case).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Argument, "{case:.40?}");
        assert!(e.message().starts_with("session"), "{}", e.message());
        assert!(!e.message().contains("abcdefgh123"), "{}", e.message());
    }
}

#[test]
fn formats_are_named() {
    assert!(convert(&poll_object(), "xml").is_err());
    assert!(convert(&poll_object(), "json").is_ok());
}

/// Regression (fuzz target session): a `host` outside the service made the host-only cookies of a session
/// unreadable once written as cookies.txt.
#[test]
fn a_foreign_host_is_not_the_host_of_host_only_cookies() {
    let text = format!("{{\"host\":\"evil.example\",\"cookie_header\":\"SESSDATA={SESS}; a=1\"}}");
    let s = Session::parse(&text).unwrap();
    assert_eq!(s.host, DEFAULT_HOST);
    let back = Session::parse(&s.write(SessionFormat::Netscape)).unwrap();
    assert_eq!(back.cookie_header(), s.cookie_header());
}

/// Regression (fuzz target session): an empty value on the last line of a cookies.txt lost its tab to the
/// trimming of the text, and the line was dropped as malformed.
#[test]
fn an_empty_value_on_the_last_cookies_txt_line_is_kept() {
    let s = Session::parse(&format!("SESSDATA={SESS}; DedeUserID=")).unwrap();
    let text = s.write(SessionFormat::Netscape);
    assert!(text.ends_with("\tDedeUserID\t\n"), "{text}");
    let back = Session::parse(text.trim_end_matches('\n')).unwrap();
    assert_eq!(
        back.cookie_header(),
        format!("SESSDATA={SESS}; DedeUserID=")
    );
}

#[test]
fn debug_shows_no_secret() {
    let text = serde_json::json!({
        "site": "main", "refresh_token": "rtoken9f8e7d6c5b4a3928", "previous_refresh_token": "ptoken1122334455",
        "token": {"access_token": "atoken5566778899", "refresh_token": "ttoken0011223344", "expires_at": 1},
        "cookies": [
            {"name": "SESSDATA", "value": SESS, "domain": "bilibili.com"},
            {"name": "bili_jct", "value": "0123456789abcdef0123456789abcdef", "domain": "bilibili.com"}
        ]
    })
    .to_string();
    let session = Session::parse(&text).unwrap();
    let qr = crate::passport::QrCode {
        ticket: "0123456789abcdef0123456789abcdef".into(),
        qr_url:
            "https://www.bilibili.tv/h5/en/qrcode/login?ticket=0123456789abcdef0123456789abcdef"
                .into(),
        qr_type: "qrcode_login".into(),
        site: None,
    };
    let keys = crate::passport::SiteKeys {
        site: "main",
        refresh_token: Some("rtoken9f8e7d6c5b4a3928".into()),
    };
    let shown = format!("{session:?} {:?} {qr:?} {keys:?}", session.cookies[0]);
    for secret in [
        "rtoken9",
        "ptoken1",
        "atoken5",
        "ttoken0",
        &SESS[..7],
        "0123456789",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(
        shown.contains("SESSDATA") && shown.contains("bilibili.com") && shown.contains("012345…")
    );
}

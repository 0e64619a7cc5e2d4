//! bili_qr_start: the documented object and request.

use crate::common::login::*;
use crate::common::*;
use bili_qr::ffi::*;
use bili_qr_fake_server::URL_PATH;
use serde_json::json;

#[test]
fn start_answers_the_documented_object_and_sends_the_documented_request() {
    let env = Env::new("id=start1");
    let r = start(Some(&env.default_opts())).expect(BILI_QR_OK);
    let v = r.json();
    assert_eq!(keys(&v), ["qr_type", "qr_url", "ticket"]);
    assert_eq!(v["qr_type"], "qrcode_login");
    let qr_url = v["qr_url"].as_str().unwrap();
    assert!(
        qr_url.starts_with("https://www.bilibili.tv/h5/en/qrcode/login?ticket="),
        "{qr_url}"
    );
    let ticket = v["ticket"].as_str().unwrap();
    assert_eq!(
        ticket,
        ticket_param(qr_url),
        "ticket is qr_url's ticket parameter"
    );
    assert_eq!(ticket.len(), 32);
    // A second start issues another ticket.
    let again = start(Some(&env.default_opts())).expect(BILI_QR_OK).json();
    assert_ne!(again["ticket"], v["ticket"]);

    let log = env.log();
    assert_eq!(log.len(), 2);
    let rec = &log[0];
    assert_eq!(rec.method, "GET");
    assert_eq!(rec.path, format!("/s/id=start1{URL_PATH}"));
    let q = query_pairs(rec);
    assert_eq!(q, [("platform", "web"), ("s_locale", "en_US")]);
    assert_documented_headers(&rec.headers, None);
    assert_eq!(rec.headers["accept-language"], "en-US,en;q=0.9");
}

#[test]
fn start_sends_locale_platform_and_a_custom_user_agent() {
    let env = Env::new("id=start2");
    let ua = "MyLauncher/2.1 (+https://example.org/bot)";
    let opts = env.opts(json!({"locale": "th_TH", "platform": "android", "user_agent": ua}));
    let v = start(Some(&opts)).expect(BILI_QR_OK).json();
    assert!(
        v["qr_url"]
            .as_str()
            .unwrap()
            .starts_with("https://www.bilibili.tv/h5/th/qrcode/login?ticket="),
        "{v}"
    );
    let rec = &env.log()[0];
    assert_eq!(rec.query["s_locale"], "th_TH");
    assert_eq!(rec.query["platform"], "android");
    assert_documented_headers(&rec.headers, Some(ua));
    assert_eq!(rec.headers["accept-language"], "th-TH,th;q=0.9");
}

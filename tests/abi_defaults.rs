//! Options NULL, "" and "{}" are accepted and mean the defaults: base_url https://passport.bilibili.tv,
//! reached through the standard proxy environment variables. The proxy here is a local listener that
//! records what it is asked for and refuses (so nothing leaves the machine): a proxy failure is
//! ERR_NETWORK.
//!
//! This binary has a single test because it sets process-wide environment variables.

mod common;

use bili_qr::ffi::BILI_QR_ERR_NETWORK;
use common::*;

#[test]
fn null_empty_and_empty_object_options_use_the_defaults_through_the_environment_proxy() {
    let proxy = FakeProxy::start();
    for var in proxy_variables() {
        std::env::remove_var(var);
    }
    std::env::set_var("ALL_PROXY", format!("http://127.0.0.1:{}", proxy.port));

    for opts in [None, Some(""), Some("{}"), Some(" {} ")] {
        let r = start(opts).expect(BILI_QR_ERR_NETWORK);
        assert!(r.error.contains("proxy"), "{opts:?}: {}", r.error);
        poll("defaultsticket01", opts).expect(BILI_QR_ERR_NETWORK);
    }
    let lines = proxy.lines();
    assert_eq!(lines.len(), 8, "{lines:?}");
    for l in &lines {
        assert!(
            l.starts_with("CONNECT passport.bilibili.tv:443 "),
            "the default base_url is https://passport.bilibili.tv: {l}"
        );
    }
}

//! The command line: clap definitions, duration values, and the mapping of flags to the library's options.

use crate::generated::OPTION_FLAGS;
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// (JSON key, flag) pairs of the CLI's own flags that stand for an option ([`NetExtra`]), beside the table's.
pub const EXTRA_KEY_FLAGS: [(&str, &str); 1] = [("refresh_public_key", "--refresh-public-key")];

/// (JSON key, flag) of every flag that stands for an option: the table's (`crate::generated::OPTION_FLAGS`)
/// and the CLI's own, to name the flag in the library's messages about a key.
pub fn key_flags() -> impl Iterator<Item = (&'static str, &'static str)> {
    OPTION_FLAGS
        .iter()
        .map(|f| (f.key, f.flag))
        .chain(EXTRA_KEY_FLAGS)
}

/// One flag of a library option (a row of `crate::generated::OPTION_FLAGS`, written from abi/bili_qr.toml).
#[derive(Debug, Clone, Copy)]
pub struct OptionFlag {
    /// The option's JSON key; also the flag's clap id.
    pub key: &'static str,
    /// The flag, `--name`.
    pub flag: &'static str,
    /// What the flag takes.
    pub value: FlagValue,
    /// The key of the option whose flag must be given with this one.
    pub requires: Option<&'static str>,
    /// The flag's line of --help.
    pub help: &'static str,
}

/// What an option flag takes (with its value's name in --help), and so the option's JSON value.
#[derive(Debug, Clone, Copy)]
pub enum FlagValue {
    /// Nothing: `true` when given.
    Switch,
    /// A string.
    Text(&'static str),
    /// One of the strings.
    Choice(&'static str, &'static [&'static str]),
    /// A whole number.
    Count(&'static str),
    /// A duration (`10s`, `500ms`: [`parse_duration_ms`]), sent in milliseconds.
    Duration(&'static str),
}

impl OptionFlag {
    /// The clap argument of the flag.
    fn arg(&self) -> clap::Arg {
        let arg = clap::Arg::new(self.key)
            .long(self.flag.trim_start_matches('-'))
            .help(self.help)
            .help_heading("Connection");
        let arg = match self.value {
            FlagValue::Switch => arg.action(clap::ArgAction::SetTrue),
            FlagValue::Text(name) => arg
                .value_name(name)
                .value_parser(clap::value_parser!(String)),
            FlagValue::Choice(name, values) => arg
                .value_name(name)
                .value_parser(clap::builder::PossibleValuesParser::new(values)),
            FlagValue::Count(name) => arg.value_name(name).value_parser(clap::value_parser!(u64)),
            FlagValue::Duration(name) => arg.value_name(name).value_parser(parse_duration_ms),
        };
        match self.requires {
            Some(other) => arg.requires(other),
            None => arg,
        }
    }

    /// The option's JSON value when the command line gave the flag.
    fn value(&self, m: &clap::ArgMatches) -> Option<Value> {
        match self.value {
            FlagValue::Switch => m.get_flag(self.key).then_some(Value::Bool(true)),
            FlagValue::Text(_) | FlagValue::Choice(..) => {
                m.get_one::<String>(self.key).map(|s| s.clone().into())
            }
            FlagValue::Count(_) | FlagValue::Duration(_) => {
                m.get_one::<u64>(self.key).map(|&n| n.into())
            }
        }
    }
}

/// The library's options (ABI `options_json`), a flag each (`crate::generated::OPTION_FLAGS`), and the CLI's
/// own connection flags (`extra`). Unset flags keep the library's defaults.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NetArgs {
    /// The options set by their flags (or by the program: `login --demo`, `--tv`), by JSON key.
    values: BTreeMap<&'static str, Value>,
    /// The CLI's own connection flags, which are not options of the library as they are (a PEM file read
    /// into `refresh_public_key`, say).
    pub extra: NetExtra,
}

impl Args for NetArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        NetExtra::augment_args(OPTION_FLAGS.iter().fold(cmd, |cmd, f| cmd.arg(f.arg())))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for NetArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut net = NetArgs::default();
        net.update_from_arg_matches(m)?;
        Ok(net)
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        for f in &OPTION_FLAGS {
            if let Some(v) = f.value(m) {
                self.values.insert(f.key, v);
            }
        }
        self.extra.update_from_arg_matches(m)
    }
}

pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (bili_qr library ",
    env!("CARGO_PKG_VERSION"),
    ")"
);

const AFTER_HELP: &str = "\
Exit codes: 0 logged in (or rendered, or logged out), 1 the QR code expired after every refresh
(check: the saved session has expired; logout: it was already logged out), 2 usage error (also: a cookies
file that is missing or holds no session), 3 network error or timeout, 4 refused by the server (HTTP error,
API error, unexpected answer), 5 a local failure (an output file could not be written, the OS keyring
could not be used, or an internal error), 130 cancelled (Ctrl-C), 143 terminated (SIGTERM; nothing is written).

Try it offline:  bili-qr login --demo --cookies cookies.txt
bilibili.com:    bili-qr login --site main --cookies cookies.txt; bili-qr refresh --cookies cookies.txt";

#[derive(Parser, Debug)]
#[command(
    name = "bili-qr",
    version = env!("CARGO_PKG_VERSION"),
    long_version = LONG_VERSION,
    about = "Log in to bilibili.tv (international) by scanning a QR code, and export the session cookies",
    after_help = AFTER_HELP,
    propagate_version = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show a QR code, wait until it is scanned and confirmed in the bilibili.tv app, save the session
    Login(Box<LoginArgs>),
    /// Ask the service whether the session saved in FILE still logs in; save renewed cookies
    Check(SessionArgs),
    /// End the session saved in FILE at the service (the file is kept unless --remove)
    Logout(LogoutArgs),
    /// Draw TEXT as a QR code on standard output
    Render(RenderArgs),
    /// Renew the mainland (bilibili.com) session saved in FILE: refresh, save, confirm, save
    Refresh(RefreshArgs),
}

/// `check`: the saved session and the connection options.
#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct SessionArgs {
    /// The saved session: a cookies.txt (as `login --cookies` writes it), a JSON session or poll object, or a
    /// Cookie header. Rewritten atomically (mode 0600, same format) when the service renews a cookie
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "store",
        conflicts_with = "store"
    )]
    pub cookies: Option<PathBuf>,

    /// The session saved in the OS secret store instead of a file (`login --store`): `keyring`, or
    /// `keyring:NAME` for one of several sessions [Secret Service on Linux, Keychain on macOS, Credential Manager
    /// on Windows]
    #[arg(long, value_name = "keyring[:NAME]", value_parser = crate::store::parse)]
    pub store: Option<crate::store::Store>,

    #[command(flatten)]
    pub net: NetArgs,
}

/// `logout`: the saved session, `--remove`, and the connection options.
#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct LogoutArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// Delete FILE after the logout (also when the session had already ended)
    #[arg(long)]
    pub remove: bool,
}

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct LoginArgs {
    /// Save the cookies in Netscape cookies.txt format (for yt-dlp --cookies, curl -b). When FILE already
    /// holds a session that the service accepts, say "already logged in" and change nothing (see --force)
    #[arg(long, value_name = "FILE")]
    pub cookies: Option<PathBuf>,

    /// Save the session in the OS secret store instead of a file: `keyring`, or `keyring:NAME` for one of
    /// several sessions (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows); `check`,
    /// `logout` read it with the same flag. Like --cookies, a valid saved session is not replaced (see --force)
    #[arg(long, value_name = "keyring[:NAME]", value_parser = crate::store::parse, conflicts_with = "cookies")]
    pub store: Option<crate::store::Store>,

    /// Log in even when the --cookies FILE holds a valid session (it is replaced)
    #[arg(long)]
    pub force: bool,

    /// Save the confirmed login (the library's poll object: mid, user_profile, cookies, cookie_header) as JSON
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write the current QR code as SVG (for a GUI) as soon as it is issued, and again on every refresh
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,

    /// Print the Cookie header on standard output once logged in (progress then goes to standard error)
    #[arg(long)]
    pub print_header: bool,

    /// Replace an expired QR code by a new one at most N times
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub max_refresh: u32,

    /// Offline demo: run against a local fake server with a simulated phone (scans after ~2 s, confirms after ~4 s)
    #[arg(long, conflicts_with = "base_url")]
    pub demo: bool,

    /// Save the session object as JSON (site, cookies, refresh token, the TV token): the form that keeps
    /// everything; `check`, `refresh` and `logout` read it with --cookies FILE. Like --cookies, a valid saved
    /// session is not replaced (see --force)
    #[arg(long, value_name = "FILE")]
    pub session: Option<PathBuf>,

    /// The TV QR login of bilibili.com (implies --site main): an access token and a refresh token besides the
    /// cookies. The token is saved only by --session FILE (or --json FILE)
    #[arg(long)]
    pub tv: bool,

    #[command(flatten)]
    pub net: NetArgs,
}

/// The CLI's own connection flags, beside the generated table of the library's options ([`NetArgs`], which
/// holds this as `extra`).
#[derive(Args, Debug, Default, Clone, PartialEq, Eq)]
pub struct NetExtra {
    /// PEM file of the public key the cookie refresh encrypts with [default: the service's published key]
    #[arg(long, value_name = "FILE", help_heading = "Connection")]
    pub refresh_public_key: Option<PathBuf>,

    /// The login flow ("tv" for `login --tv`); not a flag of its own.
    #[arg(skip)]
    pub flow: Option<String>,

    /// The PEM text of the refresh key when it comes from the program, not a file (`login --demo`).
    #[arg(skip)]
    pub refresh_key_text: Option<String>,
}

/// `refresh`: the saved session and the connection options.
#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct RefreshArgs {
    /// The saved session (a cookies.txt or a JSON session object, as `login --cookies` / `--session` write
    /// it): rewritten atomically (mode 0600, same format) with the renewed session. A session whose last
    /// refresh was not confirmed (the program stopped between the two saves) is confirmed first
    #[arg(long, value_name = "FILE")]
    pub cookies: PathBuf,

    /// Refresh only when the service says the session wants it (`check` prints that); else do nothing
    #[arg(long)]
    pub if_needed: bool,

    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// The text to encode (1 to 2048 bytes)
    #[arg(value_name = "TEXT")]
    pub text: String,

    /// Output format
    #[arg(long, value_enum, default_value_t = RenderFormat::Utf8)]
    pub format: RenderFormat,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderFormat {
    /// Half-block characters for a terminal
    Utf8,
    /// A standalone SVG document
    Svg,
    /// N lines of N characters, 1 dark, 0 light
    Matrix,
}

impl From<RenderFormat> for bili_qr::Format {
    fn from(f: RenderFormat) -> Self {
        match f {
            RenderFormat::Utf8 => bili_qr::Format::Utf8,
            RenderFormat::Svg => bili_qr::Format::Svg,
            RenderFormat::Matrix => bili_qr::Format::Matrix,
        }
    }
}

/// A duration in whole milliseconds: `500ms`, `10s`, `1.5s`, `2m`, or a bare number of seconds (`10`, `0.5`).
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3_600_000.0)
    } else {
        (t, 1000.0)
    };
    let bad = || {
        format!(
            "\"{s}\" is not a duration (examples: 500ms, 10s, 1.5s, 2m; a bare number is seconds)"
        )
    };
    let number = number.trim();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bad());
    }
    let value: f64 = number.parse().map_err(|_| bad())?;
    let ms = (value * scale).round();
    if !ms.is_finite() || ms > 1e12 {
        return Err(bad());
    }
    Ok(ms as u64)
}

impl NetArgs {
    /// The string the option `key` was set to (by its flag or the program), if any.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Value::as_str)
    }

    /// Sets the option `key` as its flag would.
    pub fn set(&mut self, key: &'static str, value: impl Into<Value>) {
        self.values.insert(key, value.into());
    }

    /// Sets the option `key` to `value()` unless its flag (or the program) set it already.
    pub fn set_default<V: Into<Value>>(&mut self, key: &'static str, value: impl FnOnce() -> V) {
        self.values.entry(key).or_insert_with(|| value().into());
    }

    /// The `options_json` members of the set flags of the table (not of `extra`).
    pub fn to_options_map(&self) -> serde_json::Map<String, Value> {
        self.values
            .iter()
            .map(|(&key, v)| (key.to_owned(), v.clone()))
            .collect()
    }

    /// The `options_json` members of the set flags, the CLI's own ones included (without the PEM text of
    /// --refresh-public-key, which [`NetArgs::to_options`] reads from its file).
    fn options_map(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut map = self.to_options_map();
        if let Some(v) = &self.extra.flow {
            map.insert("flow".to_owned(), v.clone().into());
        }
        map
    }

    /// The PEM text of --refresh-public-key FILE (at most 64 KiB read: the library takes at most 16 KiB).
    fn refresh_key_pem(&self) -> Result<Option<String>, String> {
        use std::io::Read;
        let Some(path) = &self.extra.refresh_public_key else {
            return Ok(self.extra.refresh_key_text.clone());
        };
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(64 * 1024).read_to_string(&mut text))
            .map_err(|e| format!("--refresh-public-key: cannot read {}: {e}", path.display()))?;
        Ok(Some(text))
    }

    /// The library's options, or a one-line message naming the offending flag.
    pub fn to_options(&self) -> Result<bili_qr::Options, String> {
        let mut map = self.options_map();
        if let Some(pem) = self.refresh_key_pem()? {
            map.insert("refresh_public_key".to_owned(), pem.into());
        }
        let json = serde_json::Value::Object(map).to_string();
        bili_qr::Options::from_json(Some(&json)).map_err(|e| {
            let msg = e.message();
            // "option timeout_ms must be ...": name the flag, with milliseconds where the key says so.
            match key_flags().find(|(key, _)| msg.contains(&format!("option {key} "))) {
                Some((key, flag)) => {
                    let unit = if key.ends_with("_ms") {
                        " (in milliseconds)"
                    } else {
                        ""
                    };
                    format!("{flag}: {msg}{unit}")
                }
                None => msg.to_owned(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("bili-qr").chain(args.iter().copied()))
    }

    fn login(args: &[&str]) -> LoginArgs {
        match parse(&[&["login"], args].concat()).unwrap().command {
            Command::Login(l) => *l,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("500ms"), Ok(500));
        assert_eq!(parse_duration_ms("10s"), Ok(10_000));
        assert_eq!(parse_duration_ms("1.5s"), Ok(1_500));
        assert_eq!(parse_duration_ms("2m"), Ok(120_000));
        assert_eq!(parse_duration_ms("1h"), Ok(3_600_000));
        assert_eq!(parse_duration_ms("10"), Ok(10_000));
        assert_eq!(parse_duration_ms("0.25"), Ok(250));
        for bad in ["", "s", "-1s", "1e3", "ten", "1.2.3s", "5 d", "nan"] {
            assert!(parse_duration_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn login_defaults() {
        let l = login(&[]);
        assert_eq!(l.max_refresh, 3);
        assert!(!l.demo && !l.print_header);
        assert!(l.cookies.is_none() && l.json.is_none() && l.svg.is_none());
        assert_eq!(l.net, NetArgs::default());
        assert!(l.net.to_options_map().is_empty());
        assert_eq!(l.net.to_options().unwrap(), bili_qr::Options::default());
    }

    #[test]
    fn every_option_flag_reaches_the_options() {
        let l = login(&[
            "--base-url",
            "http://127.0.0.1:9/s/x",
            "--locale",
            "th_TH",
            "--platform",
            "android",
            "--timeout",
            "750ms",
            "--user-agent",
            "ua/1",
            "--proxy",
            "",
            "--poll-interval",
            "0.5",
            "--wait-timeout",
            "2m",
            "--max-retries",
            "7",
            "--api-base-url",
            "http://127.0.0.1:9/api",
            "--verify-login",
            "--ca-file",
            "ca.pem",
            "--max-refresh",
            "1",
            "--cookies",
            "c.txt",
            "--json",
            "j.json",
            "--svg",
            "q.svg",
            "--print-header",
        ]);
        assert_eq!(l.max_refresh, 1);
        assert!(l.print_header);
        assert_eq!(l.cookies.as_deref(), Some(std::path::Path::new("c.txt")));
        let o = l.net.to_options().unwrap();
        assert_eq!(o.base_url.as_str(), "http://127.0.0.1:9/s/x");
        assert_eq!(
            (o.locale.as_str(), o.platform.as_str()),
            ("th_TH", "android")
        );
        assert_eq!(o.timeout.as_millis(), 750);
        assert_eq!(o.user_agent.as_deref(), Some("ua/1"));
        assert_eq!(o.proxy, bili_qr::options::ProxySetting::Direct);
        assert_eq!(o.poll_interval.as_millis(), 500);
        assert_eq!(o.wait_timeout.as_millis(), 120_000);
        assert_eq!(o.max_retries, 7);
        assert_eq!(o.api_base_url.as_str(), "http://127.0.0.1:9/api");
        assert!(o.verify_login);
        assert_eq!(o.ca_file.as_deref(), Some("ca.pem"));
    }

    #[test]
    fn bad_values_name_the_flag() {
        let e = login(&["--poll-interval", "50ms"])
            .net
            .to_options()
            .unwrap_err();
        assert!(
            e.starts_with("--poll-interval: ") && e.contains("milliseconds"),
            "{e}"
        );
        let e = login(&["--base-url", "http://example.com"])
            .net
            .to_options()
            .unwrap_err();
        assert!(e.starts_with("--base-url: "), "{e}");
        let e = login(&["--locale", "en US"]).net.to_options().unwrap_err();
        assert!(e.starts_with("--locale: "), "{e}");
        let e = login(&["--max-retries", "101"])
            .net
            .to_options()
            .unwrap_err();
        assert!(e.starts_with("--max-retries: "), "{e}");
    }

    #[test]
    fn usage_errors() {
        for (args, kind) in [
            (&[][..], ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand),
            (&["login", "--bogus"][..], ErrorKind::UnknownArgument),
            (
                &["login", "--timeout", "soon"][..],
                ErrorKind::ValueValidation,
            ),
            (
                &["login", "--max-refresh", "-1"][..],
                ErrorKind::UnknownArgument,
            ),
            (
                &["login", "--max-refresh", "x"][..],
                ErrorKind::ValueValidation,
            ),
            (
                &["login", "--demo", "--base-url", "http://127.0.0.1:1"][..],
                ErrorKind::ArgumentConflict,
            ),
            (&["render"][..], ErrorKind::MissingRequiredArgument),
            (
                &["render", "x", "--format", "png"][..],
                ErrorKind::InvalidValue,
            ),
            (&["frobnicate"][..], ErrorKind::InvalidSubcommand),
            (&["--help"][..], ErrorKind::DisplayHelp),
            (&["--version"][..], ErrorKind::DisplayVersion),
        ] {
            let e = parse(args).unwrap_err();
            assert_eq!(e.kind(), kind, "{args:?}: {e}");
        }
    }

    #[test]
    fn render_args() {
        match parse(&["render", "hello", "--format", "matrix"])
            .unwrap()
            .command
        {
            Command::Render(r) => {
                assert_eq!(r.text, "hello");
                assert_eq!(r.format, RenderFormat::Matrix);
            }
            other => panic!("{other:?}"),
        }
        match parse(&["render", "hello"]).unwrap().command {
            Command::Render(r) => assert_eq!(r.format, RenderFormat::Utf8),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn store_flag_is_the_other_place_of_a_session() {
        let l = login(&["--store", "keyring:work"]);
        assert_eq!(l.store.map(|s| s.name), Some("work".to_owned()));
        assert!(l.cookies.is_none());
        assert!(parse(&["login", "--store", "keyring", "--cookies", "c.txt"]).is_err());
        assert!(parse(&["login", "--store", "wallet"]).is_err());
        match parse(&["check", "--store", "keyring"]).unwrap().command {
            Command::Check(a) => {
                assert_eq!(a.store.map(|s| s.name), Some("default".to_owned()));
                assert!(a.cookies.is_none());
            }
            other => panic!("{other:?}"),
        }
        match parse(&["logout", "--cookies", "c.txt", "--remove"])
            .unwrap()
            .command
        {
            Command::Logout(a) => assert!(a.session.store.is_none() && a.remove),
            other => panic!("{other:?}"),
        }
        // One of the two is needed, and only one.
        assert!(parse(&["check"]).is_err());
        assert!(parse(&["logout", "--store", "keyring", "--cookies", "c.txt"]).is_err());
    }
}

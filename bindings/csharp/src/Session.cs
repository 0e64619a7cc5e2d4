// Session.cs: a saved login (the session's cookies), read from and written to files.
//
// The formats are the library's (bili_qr_session_convert), and so is the writer (bili_qr_session_save): this file
// only moves text between the library and the disk. Save is atomic (a temporary file in the same folder, then a
// rename over the target) and the file is readable by its owner only: mode 0600 on Unix (set before any byte is
// written); on Windows the file inherits
// the ACL of its folder, which for the user's profile (AppData) admits only that user, SYSTEM and
// Administrators; netstandard2.0 has no ACL API, so keep session files under the profile.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace Bilibili.QrLogin
{
    /// <summary>The file formats of Session.Save.</summary>
    public enum SessionFormat
    {
        /// <summary>
        /// The session object: {"mid":…,"host":…,"cookies":[…],"cookie_header":"…"}, plus "site", "refresh_token",
        /// "previous_refresh_token", "flow" and "token" when the session has them. The one form that keeps everything.
        /// </summary>
        Json,
        /// <summary>
        /// A Netscape cookies.txt (what curl, wget, yt-dlp and the bili-qr CLI read). A mainland session's refresh
        /// tokens are kept as two host-only lines that only the refresh endpoints receive; a TV session's token
        /// pair is NOT kept (save a TV session as Json).
        /// </summary>
        Netscape,
    }

    /// <summary>
    /// A session: the cookies of a confirmed login (and a mainland session's refresh token, a TV session's token
    /// pair), to save, check (BiliQr.Check), refresh (BiliQr.Refresh, mainland) and end (BiliQr.Logout).
    /// Immutable; ToString() never shows a cookie value.
    /// </summary>
    public sealed class Session
    {
        Session() { }

        /// <summary>The session object JSON, as the library wrote it (it is what the library is handed back).</summary>
        internal string Json { get; private set; }

        /// <summary>The account id (from DedeUserID or the service), or null when unknown.</summary>
        public long? Mid { get; private set; }
        /// <summary>The host that set the host-only cookies (Domain null).</summary>
        public string Host { get; private set; }
        /// <summary>The cookies, in order.</summary>
        public IList<SessionCookie> Cookies { get; private set; }
        /// <summary>"SESSDATA=…; bili_jct=…; …": the value of a Cookie request header. A secret.</summary>
        public string CookieHeader { get; private set; }
        /// <summary>"main" for a mainland (bilibili.com) session, null for bilibili.tv.</summary>
        public string Site { get; private set; }
        /// <summary>"tv" for a TV token session, else null.</summary>
        public string Flow { get; private set; }
        /// <summary>A mainland web session's refresh token (what BiliQr.Refresh sends), else null. A secret.</summary>
        public string RefreshToken { get; private set; }
        /// <summary>
        /// Between BiliQr.Refresh and BiliQr.RefreshConfirm: the refresh token of the session this one replaced
        /// (RefreshConfirm retires that session with it); null otherwise. A secret.
        /// </summary>
        public string PreviousRefreshToken { get; private set; }
        /// <summary>A TV session's token pair, else null. Only SessionFormat.Json keeps it in a file.</summary>
        public SessionToken Token { get; private set; }
        /// <summary>Notes from the call that made this session (e.g. a refresh without a new bili_jct); empty when none.</summary>
        public IList<string> Warnings { get; private set; }

        /// <summary>
        /// True for a session from BiliQr.Refresh that is not confirmed yet: save it, then call
        /// BiliQr.RefreshConfirm with it (until then the old session also still works).
        /// </summary>
        public bool NeedsConfirm { get { return PreviousRefreshToken != null; } }

        /// <summary>
        /// Reads a session in any form the library knows: a confirmed poll object or a session object (JSON), the
        /// text of a Netscape cookies.txt, or a Cookie header value. No SESSDATA, empty or garbage text: ErrArgument.
        /// </summary>
        public static Session Parse(string text)
        {
            return FromSessionJson(BiliQr.ConvertSession(text, "json"));
        }

        /// <summary>Reads a session file: cookies.txt or JSON (what Save writes, or the CLI's files).</summary>
        /// <exception cref="System.IO.IOException">The file cannot be read (FileNotFoundException, ...), as File.ReadAllText.</exception>
        /// <exception cref="BiliQrException">Status ERR_ARGUMENT: the file holds no session.</exception>
        public static Session Load(string path)
        {
            if (path == null) throw new ArgumentNullException("path");
            return Parse(File.ReadAllText(path, Encoding.UTF8));
        }

        internal static Session FromSessionJson(string json)
        {
            var obj = ModelReader.ParseObject(json);
            return new Session
            {
                Json = json,
                Mid = ModelReader.GetNullableLong(obj, "mid"),
                Host = ModelReader.GetString(obj, "host", true),
                Cookies = ModelReader.ToCookies(obj),
                CookieHeader = ModelReader.GetString(obj, "cookie_header", false),
                Site = ModelReader.GetString(obj, "site", true),
                Flow = ModelReader.GetString(obj, "flow", true),
                RefreshToken = ModelReader.GetString(obj, "refresh_token", true),
                PreviousRefreshToken = ModelReader.GetString(obj, "previous_refresh_token", true),
                Token = ModelReader.ToToken(obj),
                Warnings = ModelReader.ToWarnings(obj),
            };
        }

        /// <summary>The cookie of that name, or null.</summary>
        public SessionCookie GetCookie(string name)
        {
            foreach (var c in Cookies) if (c.Name == name) return c;
            return null;
        }

        /// <summary>The session in a file format (the library writes it). A secret: never log it.</summary>
        public string ToText(SessionFormat format)
        {
            return BiliQr.ConvertSession(Json, format == SessionFormat.Netscape ? "netscape" : "json");
        }

        /// <summary>
        /// Writes the session to path atomically, readable by the owner only (0600 on Unix), with the library's one
        /// session-file writer (bili_qr_session_save): a temporary file in the same folder, created 0600, flushed
        /// to disk, then renamed over path. A reader sees the old file or the new one, never a part; on failure
        /// path is untouched and no temporary file is left. A path that cannot be written (a missing folder, a
        /// folder, no permission) throws BiliQrException ErrArgument, whose message names it.
        /// </summary>
        public void Save(string path, SessionFormat format = SessionFormat.Json)
        {
            if (path == null) throw new ArgumentNullException("path");
            BiliQr.SaveSessionFile(path, ToText(format));
        }

        /// <summary>
        /// The cookies in a System.Net.CookieContainer (for HttpClientHandler.CookieContainer / HttpWebRequest):
        /// a cookie with a domain matches that domain and its subdomains; a host-only one matches Host.
        /// </summary>
        public System.Net.CookieContainer ToCookieContainer()
        {
            var jar = new System.Net.CookieContainer();
            foreach (var c in Cookies)
            {
                var nc = new System.Net.Cookie(c.Name, c.Value, c.Path ?? "/", c.Domain != null ? "." + c.Domain : (Host ?? "passport.bilibili.tv"))
                {
                    Secure = c.Secure,
                    HttpOnly = c.HttpOnly,
                };
                if (c.ExpiresUtc.HasValue) nc.Expires = c.ExpiresUtc.Value;
                jar.Add(nc);
            }
            return jar;
        }

        /// <summary>BiliQr.Check(this, options).</summary>
        public CheckResult Check(Options options = null) { return BiliQr.Check(this, options); }

        /// <summary>BiliQr.Refresh(this, options).</summary>
        public Session Refresh(Options options = null) { return BiliQr.Refresh(this, options); }

        /// <summary>BiliQr.RefreshConfirm(this, options).</summary>
        public Session RefreshConfirm(Options options = null) { return BiliQr.RefreshConfirm(this, options); }

        public override string ToString()
        {
            return "Session(mid=" + (Mid.HasValue ? Mid.Value.ToString(CultureInfo.InvariantCulture) : "null") + ", host=" + Host + ", " +
                   (Site != null ? "site=" + Site + ", " : "") + (Token != null ? "token, " : "") +
                   (NeedsConfirm ? "refresh not confirmed, " : "") +
                   Cookies.Count.ToString(CultureInfo.InvariantCulture) + " cookies)";
        }
    }
}

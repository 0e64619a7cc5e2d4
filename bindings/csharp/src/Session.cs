// Session.cs: a saved login (the session's cookies), read from and written to files.
//
// The formats are the library's (bili_qr_session_convert): this file only moves text between the library and
// the disk. Save is atomic (a temporary file in the same folder, then rename/ReplaceFile) and the file is
// readable by its owner only: mode 0600 on Unix (set before any byte is written); on Windows the file inherits
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
        /// <summary>The session object: {"mid":…,"host":…,"cookies":[…],"cookie_header":"…"}.</summary>
        Json,
        /// <summary>A Netscape cookies.txt (what curl, wget, yt-dlp and the bili-qr CLI read).</summary>
        Netscape,
    }

    /// <summary>
    /// A session: the cookies of a confirmed login, to save, check (BiliQr.Check) and end (BiliQr.Logout).
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

        /// <summary>
        /// Reads a session in any form the library knows: a confirmed poll object or a session object (JSON), the
        /// text of a Netscape cookies.txt, or a Cookie header value. No SESSDATA, empty or garbage text: ErrArgument.
        /// </summary>
        public static Session Parse(string text)
        {
            return FromSessionJson(BiliQr.ConvertSession(text, "json"));
        }

        /// <summary>Reads a session file: cookies.txt or JSON (what Save writes, or the CLI's files).</summary>
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
        /// Writes the session to path atomically, readable by the owner only (0600 on Unix): a temporary file in
        /// the same folder, flushed to disk, then renamed over path. A reader sees the old file or the new one,
        /// never a part; on failure path is untouched and the temporary file removed.
        /// </summary>
        public void Save(string path, SessionFormat format = SessionFormat.Json)
        {
            if (path == null) throw new ArgumentNullException("path");
            string full = Path.GetFullPath(path);
            string dir = Path.GetDirectoryName(full);
            string tmp = Path.Combine(dir, "." + Path.GetFileName(full) + ".tmp-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            byte[] bytes = new UTF8Encoding(false).GetBytes(ToText(format));
            try
            {
                using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    if (Posix.IsUnix) Posix.Chmod(tmp, 384 /* 0600 */); // before the first byte
                    fs.Write(bytes, 0, bytes.Length);
                    fs.Flush(true);
                }
                if (Posix.IsUnix) Posix.Rename(tmp, full);              // rename(2): atomic, replaces
                else if (File.Exists(full)) File.Replace(tmp, full, null, true); // ReplaceFileW
                else File.Move(tmp, full);
                tmp = null;
            }
            finally
            {
                Array.Clear(bytes, 0, bytes.Length);
                if (tmp != null)
                {
                    try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                }
            }
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

        public override string ToString()
        {
            return "Session(mid=" + (Mid.HasValue ? Mid.Value.ToString(CultureInfo.InvariantCulture) : "null") + ", host=" + Host + ", " +
                   Cookies.Count.ToString(CultureInfo.InvariantCulture) + " cookies)";
        }
    }
}

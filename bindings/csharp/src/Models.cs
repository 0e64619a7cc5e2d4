// Models.cs: the public data types of the binding (results, cookies; the status codes and options are generated
// into Generated.cs). Plain data: no
// native calls here (Interop.cs), no JSON reading (ModelReader.cs builds these from the library's JSON).
//
// ToString() of every type hides cookie values and shows at most 6 characters of a ticket.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Bilibili.QrLogin
{
    // BiliQrStatus (the status codes) and the Options properties are generated from abi/bili_qr.toml into
    // Generated.cs.

    /// <summary>An error reported by the native library (or a value it cannot accept). Message: the library's.</summary>
    public class BiliQrException : Exception
    {
        public BiliQrException(BiliQrStatus status, string message) : base(message) { Status = status; }
        public BiliQrException(BiliQrStatus status, string message, Exception inner) : base(message, inner) { Status = status; }

        /// <summary>The library's status code; the raw integer is (int)Status.</summary>
        public BiliQrStatus Status { get; private set; }
    }

    /// <summary>Options of every call: the properties and ToJson are in Generated.cs.</summary>
    public sealed partial class Options
    {
        /// <summary>A shallow copy.</summary>
        public Options Clone() { return (Options)MemberwiseClone(); }

        static StringBuilder Key(StringBuilder sb, string key)
        {
            if (sb.Length > 1) sb.Append(',');
            BiliQrJson.WriteString(sb, key);
            return sb.Append(':');
        }

        static void Add(StringBuilder sb, string key, string value)
        {
            if (value != null) BiliQrJson.WriteString(Key(sb, key), value);
        }

        static void Add(StringBuilder sb, string key, int? value)
        {
            if (value.HasValue) Key(sb, key).Append(value.Value.ToString(CultureInfo.InvariantCulture));
        }

        static void Add(StringBuilder sb, string key, bool? value)
        {
            if (value.HasValue) Key(sb, key).Append(value.Value ? "true" : "false");
        }
    }

    /// <summary>A new QR login (the result of Start). Show QrUrl as a QR code (Render), then Wait on Ticket.</summary>
    public sealed class QrCode
    {
        /// <summary>The ticket to poll/wait on. A secret while it lives: do not log it.</summary>
        public string Ticket { get; internal set; }
        /// <summary>The URL to encode in the QR code that the bilibili app scans.</summary>
        public string QrUrl { get; internal set; }
        /// <summary>"qrcode_login" (bilibili.tv), "main_web" (bilibili.com web) or "main_tv" (bilibili.com TV token login).</summary>
        public string QrType { get; internal set; }
        /// <summary>"main" for the mainland site (bilibili.com), null for bilibili.tv (ABI 2 objects have no site).</summary>
        public string Site { get; internal set; }

        public override string ToString() { return "QrCode(ticket=" + Redaction.Ticket(Ticket) + "…, type=" + QrType + ")"; }
    }

    /// <summary>
    /// One cookie of a session. Values are exactly as the server sent them (not decoded). Named SessionCookie so
    /// that it does not clash with System.Net.Cookie when both namespaces are imported.
    /// </summary>
    public sealed class SessionCookie
    {
        public string Name { get; internal set; }
        /// <summary>The value; a secret (SESSDATA is the session). Never log it.</summary>
        public string Value { get; internal set; }
        /// <summary>Without a leading dot, or null for a host-only cookie (it belongs to the session's Host).</summary>
        public string Domain { get; internal set; }
        /// <summary>"/" when absent.</summary>
        public string Path { get; internal set; }
        /// <summary>Unix seconds, or null for a session cookie.</summary>
        public long? Expires { get; internal set; }
        public bool Secure { get; internal set; }
        public bool HttpOnly { get; internal set; }

        /// <summary>Expires as a UTC DateTime, or null for a session cookie.</summary>
        public DateTime? ExpiresUtc
        {
            get { return Expires.HasValue ? new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(Expires.Value) : (DateTime?)null; }
        }

        public override string ToString()
        {
            return "SessionCookie(" + Name + "=<" + (Value == null ? 0 : Value.Length).ToString(CultureInfo.InvariantCulture) +
                   " chars>, domain=" + (Domain ?? "(host-only)") + ", path=" + Path + ")";
        }
    }

    /// <summary>
    /// The TV/app token pair of a mainland TV login (Options flow "tv"): the credential of upload tools and
    /// launchers. Both tokens are secrets like SESSDATA; ToString() shows neither. Only the JSON session form
    /// (SessionFormat.Json) keeps it: a cookies.txt or a Cookie header holds the cookies alone.
    /// </summary>
    public sealed class SessionToken
    {
        /// <summary>The access token (access_key of the app API). A secret.</summary>
        public string AccessToken { get; internal set; }
        /// <summary>The refresh token that renews the pair (BiliQr.Refresh). A secret.</summary>
        public string RefreshToken { get; internal set; }
        /// <summary>When the access token expires, Unix seconds (local clock of the answer), or null when unknown.</summary>
        public long? ExpiresAt { get; internal set; }

        /// <summary>ExpiresAt as a UTC DateTime, or null.</summary>
        public DateTime? ExpiresAtUtc
        {
            get { return ExpiresAt.HasValue ? new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(ExpiresAt.Value) : (DateTime?)null; }
        }

        public override string ToString()
        {
            return "SessionToken(<secret>, expires_at=" +
                   (ExpiresAt.HasValue ? ExpiresAt.Value.ToString(CultureInfo.InvariantCulture) : "null") + ")";
        }
    }

    /// <summary>The user_profile of a confirmed login; each field is null when the service sent none (or an odd type).</summary>
    public sealed class UserProfile
    {
        public string Name { get; internal set; }
        public string Face { get; internal set; }
        public bool? IsBlankProfile { get; internal set; }
    }

    /// <summary>
    /// A confirmed login: the account and its session cookies. Only the cookies are guaranteed; the service's other
    /// fields are null when it sent none or sent them with an unexpected type (Warnings then says what was odd).
    /// </summary>
    public sealed class Login
    {
        /// <summary>The account id (data.mid, else the DedeUserID cookie), or null when neither is known.</summary>
        public long? Mid { get; internal set; }
        public bool? IsNew { get; internal set; }
        public string GoUrl { get; internal set; }
        /// <summary>The profile, or null when the answer had none.</summary>
        public UserProfile UserProfile { get; internal set; }
        /// <summary>The kept cookies, in the order they were received.</summary>
        public IList<SessionCookie> Cookies { get; internal set; }
        /// <summary>"name=value; name=value; …" — ready for a Cookie request header. A secret.</summary>
        public string CookieHeader { get; internal set; }
        /// <summary>Short English notes on optional steps that failed or odd fields; empty when all went well.</summary>
        public IList<string> Warnings { get; internal set; }
        /// <summary>The host that set the host-only cookies (the base_url host).</summary>
        public string Host { get; internal set; }
        /// <summary>With Options.VerifyLogin: true when the service accepted the new session, false when it could not be asked; else null.</summary>
        public bool? Verified { get; internal set; }
        /// <summary>"main" for a mainland (bilibili.com) login, null for bilibili.tv.</summary>
        public string Site { get; internal set; }
        /// <summary>"tv" for a TV token login, else null (a web login).</summary>
        public string Flow { get; internal set; }
        /// <summary>A mainland web login's refresh token (BiliQr.Refresh renews the cookies with it), else null. A secret.</summary>
        public string RefreshToken { get; internal set; }
        /// <summary>A TV login's token pair, else null.</summary>
        public SessionToken Token { get; internal set; }

        internal string Json; // the poll object as the library gave it (turned into a Session on demand)

        /// <summary>The cookie of that name, or null.</summary>
        public SessionCookie GetCookie(string name)
        {
            foreach (var c in Cookies) if (c.Name == name) return c;
            return null;
        }

        /// <summary>The session to save (Session.Save) and to check or end later.</summary>
        public Session ToSession() { return Session.Parse(Json); }

        public override string ToString()
        {
            return "Login(mid=" + (Mid.HasValue ? Mid.Value.ToString(CultureInfo.InvariantCulture) : "null") + ", " +
                   Cookies.Count.ToString(CultureInfo.InvariantCulture) + " cookies, " +
                   Warnings.Count.ToString(CultureInfo.InvariantCulture) + " warnings)";
        }
    }

    /// <summary>The poll object: the state of a ticket after one poll.</summary>
    public sealed class PollResult
    {
        /// <summary>Ok (confirmed), Waiting, Scanned or Expired.</summary>
        public BiliQrStatus Status { get; internal set; }
        /// <summary>"waiting", "scanned", "expired" or "confirmed".</summary>
        public string StatusName { get; internal set; }
        /// <summary>The API code (0, 10018100, 10018101, 10018102).</summary>
        public long Code { get; internal set; }
        /// <summary>The API message.</summary>
        public string Message { get; internal set; }
        /// <summary>The login when Status is Ok, else null.</summary>
        public Login Login { get; internal set; }

        public bool IsConfirmed { get { return Status == BiliQrStatus.Ok; } }

        public override string ToString() { return "PollResult(" + StatusName + ", code=" + Code.ToString(CultureInfo.InvariantCulture) + ")"; }
    }

    /// <summary>The answer of Check: whether a saved session is still logged in, and the session to save from now on.</summary>
    public sealed class CheckResult
    {
        /// <summary>True: logged in (BiliQrStatus.Ok); false: the session has ended (BiliQrStatus.Expired).</summary>
        public bool IsValid { get; internal set; }
        /// <summary>Ok or Expired.</summary>
        public BiliQrStatus Status { get; internal set; }
        public long? Mid { get; internal set; }
        /// <summary>The account's name, or null when the service did not say.</summary>
        public string Name { get; internal set; }
        public string Face { get; internal set; }
        /// <summary>True when the service renewed a cookie (SESSDATA): save Session again.</summary>
        public bool Renewed { get; internal set; }
        /// <summary>The session with any renewed cookies merged: the one to save from now on.</summary>
        public Session Session { get; internal set; }
        /// <summary>"main" for a mainland (bilibili.com) session, null for bilibili.tv.</summary>
        public string Site { get; internal set; }
        /// <summary>
        /// Mainland only: true when the service asks for a refresh (BiliQr.Refresh, then BiliQr.RefreshConfirm),
        /// false when not, null when it could not be asked or the session is not mainland (or has ended).
        /// </summary>
        public bool? RefreshNeeded { get; internal set; }
        /// <summary>The session's refresh token (mainland web), else null. A secret.</summary>
        public string RefreshToken { get; internal set; }
        /// <summary>The session's token pair (TV login; ExpiresAt updated by the service's answer), else null.</summary>
        public SessionToken Token { get; internal set; }

        public override string ToString()
        {
            return "CheckResult(" + (IsValid ? "valid" : "expired") + ", mid=" +
                   (Mid.HasValue ? Mid.Value.ToString(CultureInfo.InvariantCulture) : "null") + ", renewed=" + (Renewed ? "true" : "false") + ")";
        }
    }

    /// <summary>The answer of Logout.</summary>
    public sealed class LogoutResult
    {
        /// <summary>Ok (the session was ended now) or Expired (it had already ended).</summary>
        public BiliQrStatus Status { get; internal set; }
        /// <summary>True when this call ended a live session.</summary>
        public bool LoggedOut { get { return Status == BiliQrStatus.Ok; } }
        public long Code { get; internal set; }
        public string Message { get; internal set; }
    }

    /// <summary>Signature of bili_qr_progress_fn: int (*)(int status, const char *event_json, void *user_data).</summary>
    [System.Runtime.InteropServices.UnmanagedFunctionPointer(System.Runtime.InteropServices.CallingConvention.Cdecl)]
    public delegate int ProgressFn(int status, IntPtr eventJson, IntPtr userData);

    internal static class Redaction
    {
        /// <summary>At most the first 6 characters of a ticket.</summary>
        internal static string Ticket(string ticket)
        {
            if (ticket == null) return "";
            return ticket.Length <= 6 ? ticket : ticket.Substring(0, 6);
        }
    }
}

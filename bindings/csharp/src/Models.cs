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

    // The result types below are partial: their members that are keys of the library's JSON objects (with their
    // readers, Read) are generated from the objects of abi/bili_qr.toml into Generated.cs; what is here is the
    // binding's own (ToString, helpers, members that are not JSON keys).

    /// <summary>A new QR login (the result of Start). Show QrUrl as a QR code (Render), then Wait on Ticket.</summary>
    public sealed partial class QrCode
    {
        public override string ToString() { return "QrCode(ticket=" + Redaction.Ticket(Ticket) + "…, type=" + QrType + ")"; }
    }

    /// <summary>
    /// One cookie of a session. Values are exactly as the server sent them (not decoded). Named SessionCookie so
    /// that it does not clash with System.Net.Cookie when both namespaces are imported.
    /// </summary>
    public sealed partial class SessionCookie
    {
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
    public sealed partial class SessionToken
    {
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
    public sealed partial class UserProfile
    {
    }

    /// <summary>
    /// A confirmed login: the account and its session cookies. Only the cookies are guaranteed; the service's other
    /// fields are null when it sent none or sent them with an unexpected type (Warnings then says what was odd).
    /// </summary>
    public sealed partial class Login
    {
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
    public sealed partial class PollResult
    {
        /// <summary>Ok (confirmed), Waiting, Scanned or Expired.</summary>
        public BiliQrStatus Status { get; internal set; }
        /// <summary>The login when Status is Ok, else null.</summary>
        public Login Login { get; internal set; }

        public bool IsConfirmed { get { return Status == BiliQrStatus.Ok; } }

        public override string ToString() { return "PollResult(" + StatusName + ", code=" + Code.ToString(CultureInfo.InvariantCulture) + ")"; }
    }

    /// <summary>The answer of Check: whether a saved session is still logged in, and the session to save from now on.</summary>
    public sealed partial class CheckResult
    {
        /// <summary>True: logged in (BiliQrStatus.Ok); false: the session has ended (BiliQrStatus.Expired).</summary>
        public bool IsValid { get; internal set; }
        /// <summary>Ok or Expired.</summary>
        public BiliQrStatus Status { get; internal set; }
        /// <summary>The session with any renewed cookies merged: the one to save from now on.</summary>
        public Session Session { get; internal set; }

        public override string ToString()
        {
            return "CheckResult(" + (IsValid ? "valid" : "expired") + ", mid=" +
                   (Mid.HasValue ? Mid.Value.ToString(CultureInfo.InvariantCulture) : "null") + ", renewed=" + (Renewed ? "true" : "false") + ")";
        }
    }

    /// <summary>The answer of Logout.</summary>
    public sealed partial class LogoutResult
    {
        /// <summary>Ok (the session was ended now) or Expired (it had already ended).</summary>
        public BiliQrStatus Status { get; internal set; }
        /// <summary>True when this call ended a live session.</summary>
        public bool LoggedOut { get { return Status == BiliQrStatus.Ok; } }
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

// ModelReader.cs: turns the JSON objects that the library hands out (poll object, session object, check
// answer, refreshed session) into the types of Models.cs. The library's JSON is trusted to be well formed; a
// shape this reader does not expect is a bug (ErrInternal), never a crash. Fields that ABI 2 allows to be null
// are read as nullable; the keys of ABI 3 (site, refresh tokens, refresh_needed, flow, token) are optional, and
// keys this reader does not know are ignored (a newer library may add some).

using System;
using System.Collections.Generic;

namespace Bilibili.QrLogin
{
    internal static class ModelReader
    {
        internal static Dictionary<string, object> ParseObject(string json)
        {
            object v;
            try { v = BiliQrJson.Parse(json); }
            catch (FormatException e) { throw new BiliQrException(BiliQrStatus.ErrInternal, "bili_qr: the library returned malformed JSON: " + e.Message, e); }
            return AsObject(v);
        }

        internal static QrCode ToQrCode(string json)
        {
            var obj = ParseObject(json);
            return new QrCode
            {
                Ticket = GetString(obj, "ticket", false),
                QrUrl = GetString(obj, "qr_url", false),
                QrType = GetString(obj, "qr_type", true),
                Site = GetString(obj, "site", true),
            };
        }

        internal static PollResult ToPollResult(int status, string json)
        {
            var obj = ParseObject(json);
            var r = new PollResult
            {
                Status = (BiliQrStatus)status,
                StatusName = GetString(obj, "status", false),
                Code = GetLong(obj, "code"),
                Message = GetString(obj, "message", true),
            };
            if (r.StatusName == "confirmed") r.Login = ToLogin(obj, json);
            return r;
        }

        static Login ToLogin(Dictionary<string, object> obj, string json)
        {
            var profile = Get(obj, "user_profile", true) as Dictionary<string, object>;
            return new Login
            {
                Mid = GetNullableLong(obj, "mid"),
                IsNew = Get(obj, "is_new", true) as bool?,
                GoUrl = Get(obj, "go_url", true) as string,
                UserProfile = profile == null ? null : new UserProfile
                {
                    Name = Get(profile, "name", true) as string,
                    Face = Get(profile, "face", true) as string,
                    IsBlankProfile = Get(profile, "is_userBlankProfile", true) as bool?,
                },
                Cookies = ToCookies(obj),
                CookieHeader = GetString(obj, "cookie_header", false),
                Warnings = ToWarnings(obj),
                Host = GetString(obj, "host", true),
                Verified = Get(obj, "verified", true) as bool?,
                Site = GetString(obj, "site", true),
                Flow = GetString(obj, "flow", true),
                RefreshToken = GetString(obj, "refresh_token", true),
                Token = ToToken(obj),
                Json = json,
            };
        }

        internal static IList<SessionCookie> ToCookies(Dictionary<string, object> obj)
        {
            var cookies = new List<SessionCookie>();
            foreach (var item in AsArray(Get(obj, "cookies")))
            {
                var c = AsObject(item);
                cookies.Add(new SessionCookie
                {
                    Name = GetString(c, "name", false),
                    Value = GetString(c, "value", false),
                    Domain = GetString(c, "domain", true),
                    Path = GetString(c, "path", true) ?? "/",
                    Expires = GetNullableLong(c, "expires"),
                    Secure = true.Equals(Get(c, "secure", true)),
                    HttpOnly = true.Equals(Get(c, "http_only", true)),
                });
            }
            return cookies.AsReadOnly();
        }

        internal static CheckResult ToCheckResult(int status, string json)
        {
            var obj = ParseObject(json);
            return new CheckResult
            {
                Status = (BiliQrStatus)status,
                IsValid = status == (int)BiliQrStatus.Ok,
                Mid = GetNullableLong(obj, "mid"),
                Name = Get(obj, "name", true) as string,
                Face = Get(obj, "face", true) as string,
                Renewed = true.Equals(Get(obj, "renewed", true)),
                Session = Session.FromSessionJson(json),
                Site = GetString(obj, "site", true),
                RefreshNeeded = Get(obj, "refresh_needed", true) as bool?,
                RefreshToken = GetString(obj, "refresh_token", true),
                Token = ToToken(obj),
            };
        }

        /// <summary>The "token" object of a TV login or token session (ABI 3), or null when there is none.</summary>
        internal static SessionToken ToToken(Dictionary<string, object> obj)
        {
            object v = Get(obj, "token", true);
            if (v == null) return null;
            var t = AsObject(v);
            return new SessionToken
            {
                AccessToken = GetString(t, "access_token", false),
                RefreshToken = GetString(t, "refresh_token", false),
                ExpiresAt = GetNullableLong(t, "expires_at"),
            };
        }

        /// <summary>The warnings array of an object (empty when absent).</summary>
        internal static IList<string> ToWarnings(Dictionary<string, object> obj)
        {
            var warnings = new List<string>();
            var w = Get(obj, "warnings", true);
            if (w != null) foreach (var item in AsArray(w)) warnings.Add(item as string ?? "");
            return warnings.AsReadOnly();
        }

        /// <summary>
        /// The answer of bili_qr_refresh / bili_qr_refresh_confirm: Ok → the new session; Expired → the session has
        /// ended, thrown as a BiliQrException with Status Expired (there is nothing to save).
        /// </summary>
        internal static Session ToRefreshedSession(int status, string json, string call)
        {
            if (status == (int)BiliQrStatus.Expired)
                throw new BiliQrException(BiliQrStatus.Expired,
                    "bili_qr: " + call + ": the session has ended (the service answered -101): log in again");
            if (status != (int)BiliQrStatus.Ok)
                throw new BiliQrException(BiliQrStatus.ErrInternal,
                    "bili_qr: " + call + " returned the unexpected status " + status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return Session.FromSessionJson(json);
        }

        internal static LogoutResult ToLogoutResult(int status, string json)
        {
            var obj = ParseObject(json);
            return new LogoutResult
            {
                Status = (BiliQrStatus)status,
                Code = GetLong(obj, "code"),
                Message = GetString(obj, "message", true),
            };
        }

        static Exception Bad(string what) { return new BiliQrException(BiliQrStatus.ErrInternal, "bili_qr: unexpected JSON from the library: " + what); }

        internal static Dictionary<string, object> AsObject(object o)
        {
            var d = o as Dictionary<string, object>;
            if (d == null) throw Bad("expected an object");
            return d;
        }

        static List<object> AsArray(object o)
        {
            var a = o as List<object>;
            if (a == null) throw Bad("expected an array");
            return a;
        }

        internal static object Get(Dictionary<string, object> obj, string key, bool optional = false)
        {
            object v;
            if (obj.TryGetValue(key, out v)) return v;
            if (optional) return null;
            throw Bad("missing \"" + key + "\"");
        }

        internal static string GetString(Dictionary<string, object> obj, string key, bool nullable)
        {
            object v = Get(obj, key, nullable);
            if (v == null && nullable) return null;
            var s = v as string;
            if (s == null) throw Bad("\"" + key + "\" is not a string");
            return s;
        }

        static long GetLong(Dictionary<string, object> obj, string key)
        {
            object v = Get(obj, key);
            if (v is long) return (long)v;
            throw Bad("\"" + key + "\" is not an integer");
        }

        internal static long? GetNullableLong(Dictionary<string, object> obj, string key)
        {
            object v = Get(obj, key, true);
            if (v == null) return null;
            if (v is long) return (long)v;
            throw Bad("\"" + key + "\" is not an integer");
        }
    }
}

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
            return QrCode.Read(ParseObject(json));
        }

        internal static PollResult ToPollResult(int status, string json)
        {
            var obj = ParseObject(json);
            var r = PollResult.Read(obj);
            r.Status = (BiliQrStatus)status;
            if (r.StatusName == "confirmed")
            {
                r.Login = Login.Read(obj);
                r.Login.Json = json;
            }
            return r;
        }

        internal static IList<SessionCookie> ToCookies(Dictionary<string, object> obj)
        {
            return GetList(obj, "cookies", SessionCookie.Read);
        }

        internal static CheckResult ToCheckResult(int status, string json)
        {
            var r = CheckResult.Read(ParseObject(json));
            r.Status = (BiliQrStatus)status;
            r.IsValid = status == (int)BiliQrStatus.Ok;
            r.Session = Session.FromSessionJson(json);
            return r;
        }

        /// <summary>The "token" object of a TV login or token session (ABI 3), or null when there is none.</summary>
        internal static SessionToken ToToken(Dictionary<string, object> obj)
        {
            return GetObject(obj, "token", SessionToken.Read);
        }

        /// <summary>The warnings array of an object (empty when absent).</summary>
        internal static IList<string> ToWarnings(Dictionary<string, object> obj)
        {
            return GetStrings(obj, "warnings");
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
            var r = LogoutResult.Read(ParseObject(json));
            r.Status = (BiliQrStatus)status;
            return r;
        }

        // The readers of one member, which the generated Read of each result type (Generated.cs) calls: a
        // required key that is missing, or a value of another type, is a bug of the library (ErrInternal).

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

        internal static long GetLong(Dictionary<string, object> obj, string key)
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

        /// <summary>A boolean that is false when absent or null.</summary>
        internal static bool GetFlag(Dictionary<string, object> obj, string key)
        {
            return true.Equals(Get(obj, key, true));
        }

        /// <summary>A boolean, or null when absent, null or of another type.</summary>
        internal static bool? GetNullableBool(Dictionary<string, object> obj, string key)
        {
            return Get(obj, key, true) as bool?;
        }

        /// <summary>A nested object read by `read`, or null when absent or null.</summary>
        internal static T GetObject<T>(Dictionary<string, object> obj, string key, Func<Dictionary<string, object>, T> read) where T : class
        {
            object v = Get(obj, key, true);
            return v == null ? null : read(AsObject(v));
        }

        /// <summary>A required array of objects, each read by `read`.</summary>
        internal static IList<T> GetList<T>(Dictionary<string, object> obj, string key, Func<Dictionary<string, object>, T> read)
        {
            var list = new List<T>();
            foreach (var item in AsArray(Get(obj, key))) list.Add(read(AsObject(item)));
            return list.AsReadOnly();
        }

        /// <summary>An array of strings (empty when absent; an item of another type is "").</summary>
        internal static IList<string> GetStrings(Dictionary<string, object> obj, string key)
        {
            var list = new List<string>();
            var v = Get(obj, key, true);
            if (v != null) foreach (var item in AsArray(v)) list.Add(item as string ?? "");
            return list.AsReadOnly();
        }
    }
}

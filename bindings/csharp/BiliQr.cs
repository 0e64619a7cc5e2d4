// BiliQr.cs — C# binding of the bili_qr native library (C ABI version 1, see include/bili_qr.h).
//
// One file, netstandard2.0, no dependencies: drop it into a Unity project (Mono or IL2CPP scripting backend)
// or build BiliQr.csproj for .NET. The native library (libbili_qr.so / libbili_qr.dylib / bili_qr.dll) must be
// findable by the runtime under the name "bili_qr"; see README.md for where it goes in a Unity project.
//
// Rules this file keeps (the ABI's contract):
//  * every call is Cdecl; strings cross the boundary as NUL-terminated UTF-8, marshalled by hand in both
//    directions (never the runtime's ANSI/auto marshalling, which differs between Windows, Mono and IL2CPP);
//  * every string the library hands out is released with bili_qr_free, in a finally block, also when parsing it
//    or a callback throws; the managed copies of its bytes are zeroed (they may hold session cookies);
//  * bili_qr_last_error is read on the calling thread right after the failing call (it is thread-local);
//  * the progress callback is a static method marked [MonoPInvokeCallback] (IL2CPP compiles reverse P/Invoke
//    only for such methods); the instance state travels through user_data as a GCHandle;
//  * the library's ABI version is checked once, in the static constructor, and a mismatch fails loudly;
//  * cookie values and tickets never appear in exception messages or ToString() output.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

#if !UNITY_5_3_OR_NEWER
namespace AOT
{
    /// <summary>
    /// Marks a static method that native code calls through a function pointer. Unity ships this attribute as
    /// AOT.MonoPInvokeCallbackAttribute in UnityEngine; IL2CPP and Mono's full-AOT recognise it by its name, so
    /// outside Unity (plain .NET, Mono, a DLL built from BiliQr.csproj) this file defines it itself.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        public MonoPInvokeCallbackAttribute(Type delegateType) { DelegateType = delegateType; }
        public Type DelegateType { get; private set; }
    }
}
#endif

namespace Bilibili.QrLogin
{
    /// <summary>Status codes of the C ABI (BILI_QR_* in bili_qr.h).</summary>
    public enum BiliQrStatus
    {
        /// <summary>Success; from poll/wait: the login is confirmed.</summary>
        Ok = 0,
        /// <summary>Not scanned yet (API 10018101).</summary>
        Waiting = 1,
        /// <summary>Scanned, waiting for the user to confirm in the app (API 10018102).</summary>
        Scanned = 2,
        /// <summary>The ticket is dead (API 10018100); start a new one.</summary>
        Expired = 3,
        /// <summary>A bad argument: malformed ticket, bad options, text that is not UTF-8, ...</summary>
        ErrArgument = -1,
        /// <summary>DNS, connect, TLS, reset, proxy failure, too many redirects.</summary>
        ErrNetwork = -2,
        /// <summary>A request ran past timeout_ms, or a wait ran past wait_timeout_ms.</summary>
        ErrTimeout = -3,
        /// <summary>An HTTP status other than 2xx (e.g. a 412 risk-control page).</summary>
        ErrHttp = -4,
        /// <summary>A 2xx answer that is not the documented JSON, or a login without the session cookies.</summary>
        ErrProtocol = -5,
        /// <summary>Documented JSON with an undocumented code (e.g. -412, -352).</summary>
        ErrApi = -6,
        /// <summary>A wait was cancelled by its callback or by Cancel.</summary>
        ErrCancelled = -7,
        /// <summary>A bug in the library (a caught panic).</summary>
        ErrInternal = -8,
    }

    /// <summary>An error reported by the native library (or a value it cannot accept).</summary>
    public class BiliQrException : Exception
    {
        public BiliQrException(BiliQrStatus status, string message) : base(message) { Status = status; }
        public BiliQrException(BiliQrStatus status, string message, Exception inner) : base(message, inner) { Status = status; }

        /// <summary>The library's status code; the raw integer is (int)Status.</summary>
        public BiliQrStatus Status { get; private set; }
    }

    /// <summary>
    /// Options of every call (the ABI's options JSON). Null properties are left out, so the library's defaults
    /// apply. Ranges are checked by the library (a bad value fails with BiliQrStatus.ErrArgument naming the key).
    /// </summary>
    public sealed class Options
    {
        /// <summary>Default https://passport.bilibili.tv; http only for loopback hosts; a path prefix is allowed.</summary>
        public string BaseUrl { get; set; }
        /// <summary>Sent as s_locale (default en_US).</summary>
        public string Locale { get; set; }
        /// <summary>Sent as platform (default web).</summary>
        public string Platform { get; set; }
        /// <summary>Bounds one whole request, 1 to 600000 ms (default 10000).</summary>
        public int? TimeoutMs { get; set; }
        /// <summary>1 to 512 printable ASCII characters (default: a current desktop browser's).</summary>
        public string UserAgent { get; set; }
        /// <summary>http://, https:// or socks5:// URL; "" means no proxy; null: the proxy environment variables.</summary>
        public string Proxy { get; set; }
        /// <summary>Wait only: 100 to 60000 ms between polls (default 2000).</summary>
        public int? PollIntervalMs { get; set; }
        /// <summary>Wait only: 1000 to 3600000 ms for the whole wait (default 300000).</summary>
        public int? WaitTimeoutMs { get; set; }
        /// <summary>Wait only: transient failures retried in a row, 0 to 100 (default 3).</summary>
        public int? MaxRetries { get; set; }

        /// <summary>The options JSON sent to the library, e.g. {"base_url":"http://127.0.0.1:8080","timeout_ms":500}.</summary>
        public string ToJson()
        {
            var sb = new StringBuilder("{");
            Add(sb, "base_url", BaseUrl);
            Add(sb, "locale", Locale);
            Add(sb, "platform", Platform);
            Add(sb, "timeout_ms", TimeoutMs);
            Add(sb, "user_agent", UserAgent);
            Add(sb, "proxy", Proxy);
            Add(sb, "poll_interval_ms", PollIntervalMs);
            Add(sb, "wait_timeout_ms", WaitTimeoutMs);
            Add(sb, "max_retries", MaxRetries);
            return sb.Append('}').ToString();
        }

        /// <summary>A shallow copy.</summary>
        public Options Clone() { return (Options)MemberwiseClone(); }

        static void Add(StringBuilder sb, string key, string value)
        {
            if (value == null) return;
            if (sb.Length > 1) sb.Append(',');
            BiliQrJson.WriteString(sb, key);
            sb.Append(':');
            BiliQrJson.WriteString(sb, value);
        }

        static void Add(StringBuilder sb, string key, int? value)
        {
            if (!value.HasValue) return;
            if (sb.Length > 1) sb.Append(',');
            BiliQrJson.WriteString(sb, key);
            sb.Append(':').Append(value.Value.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>A new QR login (the result of Start). Show QrUrl as a QR code (Render), then Wait on Ticket.</summary>
    public sealed class QrCode
    {
        /// <summary>The ticket to poll/wait on. A secret while it lives: do not log it.</summary>
        public string Ticket { get; internal set; }
        /// <summary>The URL to encode in the QR code that the bilibili app scans.</summary>
        public string QrUrl { get; internal set; }
        /// <summary>"qrcode_login".</summary>
        public string QrType { get; internal set; }

        public override string ToString() { return "QrCode(ticket=" + BiliQr.Redact(Ticket) + "…, type=" + QrType + ")"; }
    }

    /// <summary>One cookie of a confirmed login. Values are exactly as the server sent them (not decoded).</summary>
    public sealed class Cookie
    {
        public string Name { get; internal set; }
        /// <summary>The value; a secret (SESSDATA is the session). Never log it.</summary>
        public string Value { get; internal set; }
        /// <summary>Without a leading dot, or null when the cookie had no Domain attribute.</summary>
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
            return "Cookie(" + Name + "=<" + (Value == null ? 0 : Value.Length) + " chars>, domain=" + (Domain ?? "(none)") + ", path=" + Path + ")";
        }
    }

    /// <summary>The user_profile of a confirmed login.</summary>
    public sealed class UserProfile
    {
        public string Name { get; internal set; }
        public string Face { get; internal set; }
        public bool IsBlankProfile { get; internal set; }
    }

    /// <summary>A confirmed login: the account and its session cookies.</summary>
    public sealed class Login
    {
        public long Mid { get; internal set; }
        public bool IsNew { get; internal set; }
        public string GoUrl { get; internal set; }
        public UserProfile UserProfile { get; internal set; }
        /// <summary>The kept cookies, in the order they were received.</summary>
        public IList<Cookie> Cookies { get; internal set; }
        /// <summary>"name=value; name=value; …" — ready for a Cookie request header. A secret.</summary>
        public string CookieHeader { get; internal set; }

        /// <summary>The cookie of that name, or null.</summary>
        public Cookie GetCookie(string name)
        {
            foreach (var c in Cookies) if (c.Name == name) return c;
            return null;
        }

        public override string ToString()
        {
            return "Login(mid=" + Mid.ToString(CultureInfo.InvariantCulture) + ", " + Cookies.Count.ToString(CultureInfo.InvariantCulture) + " cookies)";
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

    /// <summary>Signature of bili_qr_progress_fn: int (*)(int status, const char *event_json, void *user_data).</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int ProgressFn(int status, IntPtr eventJson, IntPtr userData);

    /// <summary>The bili_qr API. Every method is thread-safe.</summary>
    public static class BiliQr
    {
        /// <summary>The C ABI version this binding is written for.</summary>
        public const int AbiVersion = 1;

#if UNITY_IOS && !UNITY_EDITOR
        // iOS links native plugins statically into the app: the symbols live in the executable itself.
        const string Lib = "__Internal";
#else
        // Mono, .NET and Unity map this to libbili_qr.so / libbili_qr.dylib / bili_qr.dll.
        const string Lib = "bili_qr";
#endif

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] static extern int bili_qr_abi_version();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] static extern IntPtr bili_qr_version();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] static extern IntPtr bili_qr_status_str(int status);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] static extern IntPtr bili_qr_last_error();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] static extern int bili_qr_start(IntPtr optionsJson, out IntPtr outJson);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] static extern int bili_qr_poll(IntPtr ticket, IntPtr optionsJson, out IntPtr outJson);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] static extern void bili_qr_free(IntPtr s);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] static extern int bili_qr_wait(IntPtr ticket, IntPtr optionsJson, ProgressFn onProgress, IntPtr userData, out IntPtr outJson);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] static extern int bili_qr_cancel(IntPtr ticket);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] static extern int bili_qr_render(IntPtr text, IntPtr format, out IntPtr output);

        // The one delegate handed to native code. A static field keeps it alive for the life of the process, so
        // no wait can outlive it; its target is a static method, as IL2CPP requires.
        static readonly ProgressFn s_progress = OnProgressNative;

        static readonly string s_nativeVersion;

        static BiliQr()
        {
            int abi;
            try
            {
                abi = bili_qr_abi_version();
            }
            catch (DllNotFoundException e)
            {
                throw new DllNotFoundException(
                    "bili_qr: the native library 'bili_qr' (libbili_qr.so / libbili_qr.dylib / bili_qr.dll) was not found; " +
                    "put it next to the executable, on LD_LIBRARY_PATH, or in Assets/Plugins/<platform> in Unity", e);
            }
            catch (EntryPointNotFoundException e)
            {
                throw new BiliQrException(BiliQrStatus.ErrInternal,
                    "bili_qr: the loaded native library has no bili_qr_abi_version; it is not bili_qr ABI " + AbiVersion + ": replace it", e);
            }
            if (abi != AbiVersion)
            {
                throw new BiliQrException(BiliQrStatus.ErrInternal,
                    "bili_qr: the loaded native library implements ABI version " + abi.ToString(CultureInfo.InvariantCulture) +
                    ", this binding needs version " + AbiVersion + ": replace the native library (a stale copy in a plugins folder?) or the binding");
            }
            s_nativeVersion = PtrToStringUtf8(bili_qr_version()) ?? "";
        }

        /// <summary>The version of the loaded native library, e.g. "0.1.0".</summary>
        public static string NativeVersion { get { return s_nativeVersion; } }

        /// <summary>The ABI version reported by the loaded native library (always AbiVersion once loaded).</summary>
        public static int NativeAbiVersion { get { return bili_qr_abi_version(); } }

        /// <summary>The library's English phrase for a status code.</summary>
        public static string StatusText(BiliQrStatus status) { return PtrToStringUtf8(bili_qr_status_str((int)status)) ?? ""; }

        /// <summary>Asks for a new QR code.</summary>
        public static QrCode Start(Options options = null)
        {
            int status;
            string json = CallWithOut(delegate (IntPtr[] a, out IntPtr o) { return bili_qr_start(a[0], out o); },
                                      new[] { "options" }, new[] { OptionsJson(options) }, out status);
            var obj = AsObject(ParseOutput(json));
            return new QrCode
            {
                Ticket = GetString(obj, "ticket", false),
                QrUrl = GetString(obj, "qr_url", false),
                QrType = GetString(obj, "qr_type", true),
            };
        }

        /// <summary>Polls a ticket once. Ok (with Login), Waiting, Scanned and Expired are results; errors throw.</summary>
        /// <param name="ticket">The bare ticket, or any URL whose query has ticket= (QrCode.QrUrl works).</param>
        public static PollResult Poll(string ticket, Options options = null)
        {
            int status;
            string json = CallWithOut(delegate (IntPtr[] a, out IntPtr o) { return bili_qr_poll(a[0], a[1], out o); },
                                      new[] { "ticket", "options" }, new[] { ticket, OptionsJson(options) }, out status);
            return ToPollResult(status, json);
        }

        /// <summary>
        /// Waits on the calling thread until the login is confirmed (returns it), the ticket expires (throws with
        /// Status Expired), the wait times out, is cancelled, or fails. This blocks for up to wait_timeout_ms: never
        /// call it on Unity's main thread — use WaitAsync or a worker thread.
        /// </summary>
        /// <param name="onProgress">Called on the waiting thread after each poll answering Waiting or Scanned.
        /// Return false to cancel (the wait then throws with Status ErrCancelled). An exception it throws cancels
        /// the wait and is rethrown from Wait.</param>
        public static Login Wait(string ticket, Options options = null, Func<PollResult, bool> onProgress = null)
        {
            return WaitCore(ticket, options, onProgress);
        }

        /// <summary>
        /// Runs Wait on a background thread. When cancellationToken fires, the wait is ended through
        /// bili_qr_cancel (within about 100 ms) and the task ends as cancelled (OperationCanceledException); like
        /// Cancel, that ends every wait on this ticket in the process.
        /// Progress is reported through progress (a Progress&lt;T&gt; created on Unity's main thread reports there).
        /// </summary>
        public static Task<Login> WaitAsync(string ticket, Options options = null, IProgress<PollResult> progress = null,
                                            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (cancellationToken.IsCancellationRequested)
            {
                var tcs = new TaskCompletionSource<Login>();
                tcs.SetCanceled();
                return tcs.Task;
            }
            // A wait blocks for minutes: LongRunning gives it a thread of its own instead of holding one of the
            // thread pool's workers (TaskScheduler.Default either way).
            return Task.Factory.StartNew(() => WaitWithToken(ticket, options, progress, cancellationToken),
                                         cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        /// <summary>Ends every wait running on that ticket in this process; returns how many were signalled.</summary>
        public static int Cancel(string ticket)
        {
            using (var t = new NativeUtf8(ticket, "ticket"))
            {
                int n = bili_qr_cancel(t.Ptr);
                if (n < 0) throw Error(n);
                return n;
            }
        }

        /// <summary>
        /// Draws text (1 to 2048 UTF-8 bytes) as a QR code. format: "utf8" (terminal text), "svg" (an SVG
        /// document) or "matrix" (N lines of N characters '1' dark / '0' light, no quiet zone).
        /// </summary>
        public static string Render(string text, string format)
        {
            int status;
            return CallWithOut(delegate (IntPtr[] a, out IntPtr o) { return bili_qr_render(a[0], a[1], out o); },
                               new[] { "text", "format" }, new[] { text, format }, out status);
        }

        /// <summary>Render(text, "matrix") as modules: [row, column], true = dark; no quiet zone.</summary>
        public static bool[,] RenderMatrix(string text)
        {
            string m = Render(text, "matrix");
            string[] lines = m.TrimEnd('\n').Split('\n');
            int n = lines.Length;
            var grid = new bool[n, n];
            for (int y = 0; y < n; y++)
            {
                if (lines[y].Length != n) throw new BiliQrException(BiliQrStatus.ErrInternal, "bili_qr: render returned a malformed matrix");
                for (int x = 0; x < n; x++) grid[y, x] = lines[y][x] == '1';
            }
            return grid;
        }

        // ---- waits ----

        sealed class WaitState
        {
            public Func<PollResult, bool> OnProgress;
            public Exception Error;
        }

        [AOT.MonoPInvokeCallback(typeof(ProgressFn))]
        static int OnProgressNative(int status, IntPtr eventJson, IntPtr userData)
        {
            // Runs on the waiting thread, called by native code: nothing may escape from here.
            WaitState state = null;
            try
            {
                state = (WaitState)GCHandle.FromIntPtr(userData).Target;
                if (state.OnProgress == null) return 0;
                // event_json is borrowed for this call alone: copied, never freed here.
                PollResult r = ToPollResult(status, PtrToStringUtf8(eventJson));
                return state.OnProgress(r) ? 0 : 1;
            }
            catch (Exception e)
            {
                if (state != null && state.Error == null) state.Error = e;
                return 1;
            }
        }

        static Login WaitCore(string ticket, Options options, Func<PollResult, bool> onProgress)
        {
            var state = new WaitState { OnProgress = onProgress };
            GCHandle handle = GCHandle.Alloc(state);
            ProgressFn fn = onProgress != null ? s_progress : null;
            IntPtr outJson = IntPtr.Zero;
            int status;
            string json;
            string error = null;
            try
            {
                using (var t = new NativeUtf8(ticket, "ticket"))
                using (var o = new NativeUtf8(OptionsJson(options), "options"))
                {
                    status = bili_qr_wait(t.Ptr, o.Ptr, fn, GCHandle.ToIntPtr(handle), out outJson);
                    if (status < 0) error = LastError(status);
                    json = PtrToStringUtf8(outJson);
                }
            }
            finally
            {
                bili_qr_free(outJson);
                GC.KeepAlive(fn);
                handle.Free();
            }
            if (state.Error != null) ExceptionDispatchInfo.Capture(state.Error).Throw();
            if (status < 0) throw new BiliQrException((BiliQrStatus)status, error);
            PollResult r = ToPollResult(status, json);
            if (r.Status == BiliQrStatus.Expired)
                throw new BiliQrException(BiliQrStatus.Expired, "bili_qr: the QR code expired before the login was confirmed; start a new one");
            if (r.Login == null)
                throw new BiliQrException(BiliQrStatus.ErrInternal, "bili_qr: wait returned status " + status.ToString(CultureInfo.InvariantCulture) + " without a login");
            return r.Login;
        }

        static Login WaitWithToken(string ticket, Options options, IProgress<PollResult> progress, CancellationToken token)
        {
            int finished = 0;
            Func<PollResult, bool> onProgress = r =>
            {
                if (token.IsCancellationRequested) return false;
                if (progress != null) progress.Report(r);
                return true;
            };
            // When the token fires: bili_qr_cancel ends the wait within ~100 ms. If it finds no wait (the native
            // wait has not registered yet), retry briefly; the progress callback also checks the token.
            Action cancel = () =>
            {
                try
                {
                    for (int i = 0; i < 100 && Volatile.Read(ref finished) == 0; i++)
                    {
                        if (Cancel(ticket) > 0) return;
                        Thread.Sleep(20);
                    }
                }
                catch (Exception) { /* a malformed ticket: the wait itself reports it */ }
            };
            using (token.Register(() => ThreadPool.QueueUserWorkItem(_ => cancel())))
            {
                try
                {
                    return WaitCore(ticket, options, onProgress);
                }
                catch (BiliQrException e)
                {
                    if (e.Status == BiliQrStatus.ErrCancelled && token.IsCancellationRequested)
                        throw new OperationCanceledException("bili_qr: the wait was cancelled", e, token);
                    throw;
                }
                finally
                {
                    Volatile.Write(ref finished, 1);
                }
            }
        }

        // ---- marshalling ----

        delegate int OutCall(IntPtr[] args, out IntPtr output);

        // Marshals args to NUL-terminated UTF-8, calls, copies the out string and frees it with bili_qr_free.
        // Throws BiliQrException for a status < 0 (with this thread's bili_qr_last_error).
        static string CallWithOut(OutCall call, string[] names, string[] args, out int status)
        {
            var native = new NativeUtf8[args.Length];
            IntPtr output = IntPtr.Zero;
            try
            {
                var ptrs = new IntPtr[args.Length];
                for (int i = 0; i < args.Length; i++)
                {
                    native[i] = new NativeUtf8(args[i], names[i]);
                    ptrs[i] = native[i].Ptr;
                }
                status = call(ptrs, out output);
                if (status < 0) throw Error(status);
                return PtrToStringUtf8(output);
            }
            finally
            {
                bili_qr_free(output);
                foreach (var n in native) if (n != null) n.Dispose();
            }
        }

        static string OptionsJson(Options options) { return options == null ? null : options.ToJson(); }

        static string LastError(int status)
        {
            string msg = PtrToStringUtf8(bili_qr_last_error());
            if (string.IsNullOrEmpty(msg)) msg = PtrToStringUtf8(bili_qr_status_str(status));
            return msg;
        }

        static BiliQrException Error(int status) { return new BiliQrException((BiliQrStatus)status, LastError(status)); }

        static readonly UTF8Encoding s_strictUtf8 = new UTF8Encoding(false, true);

        /// <summary>A copy of a managed string as NUL-terminated UTF-8 in unmanaged memory, zeroed on release.</summary>
        sealed class NativeUtf8 : IDisposable
        {
            public IntPtr Ptr;
            int _length;

            public NativeUtf8(string s, string what)
            {
                if (s == null) return;
                if (s.IndexOf('\0') >= 0)
                    throw new BiliQrException(BiliQrStatus.ErrArgument, "bili_qr: the " + what + " contains a NUL character");
                byte[] bytes;
                try { bytes = s_strictUtf8.GetBytes(s); }
                catch (EncoderFallbackException e)
                {
                    throw new BiliQrException(BiliQrStatus.ErrArgument, "bili_qr: the " + what + " is not valid Unicode (a lone surrogate)", e);
                }
                _length = bytes.Length + 1;
                Ptr = Marshal.AllocHGlobal(_length);
                Marshal.Copy(bytes, 0, Ptr, bytes.Length);
                Marshal.WriteByte(Ptr, bytes.Length, 0);
                Array.Clear(bytes, 0, bytes.Length);
            }

            public void Dispose()
            {
                if (Ptr == IntPtr.Zero) return;
                for (int i = 0; i < _length; i++) Marshal.WriteByte(Ptr, i, 0);
                Marshal.FreeHGlobal(Ptr);
                Ptr = IntPtr.Zero;
            }
        }

        /// <summary>Reads a NUL-terminated UTF-8 string (null for a null pointer). Does not free it.</summary>
        static string PtrToStringUtf8(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int len = 0;
            while (Marshal.ReadByte(p, len) != 0) len++;
            var bytes = new byte[len];
            Marshal.Copy(p, bytes, 0, len);
            try { return Encoding.UTF8.GetString(bytes); }
            finally { Array.Clear(bytes, 0, len); }
        }

        internal static string Redact(string ticket)
        {
            if (ticket == null) return "";
            return ticket.Length <= 6 ? ticket : ticket.Substring(0, 6);
        }

        // ---- JSON to typed results ----

        static object ParseOutput(string json)
        {
            try { return BiliQrJson.Parse(json); }
            catch (FormatException e) { throw new BiliQrException(BiliQrStatus.ErrInternal, "bili_qr: the library returned malformed JSON: " + e.Message, e); }
        }

        static PollResult ToPollResult(int status, string json)
        {
            var obj = AsObject(ParseOutput(json));
            var r = new PollResult
            {
                Status = (BiliQrStatus)status,
                StatusName = GetString(obj, "status", false),
                Code = GetLong(obj, "code"),
                Message = GetString(obj, "message", true),
            };
            if (r.StatusName == "confirmed")
            {
                var cookies = new List<Cookie>();
                foreach (var item in AsArray(Get(obj, "cookies")))
                {
                    var c = AsObject(item);
                    object exp = Get(c, "expires", true);
                    cookies.Add(new Cookie
                    {
                        Name = GetString(c, "name", false),
                        Value = GetString(c, "value", false),
                        Domain = GetString(c, "domain", true),
                        Path = GetString(c, "path", true) ?? "/",
                        Expires = exp == null ? (long?)null : ToLong(exp, "expires"),
                        Secure = GetBool(c, "secure"),
                        HttpOnly = GetBool(c, "http_only"),
                    });
                }
                var profile = Get(obj, "user_profile", true) as Dictionary<string, object>;
                r.Login = new Login
                {
                    Mid = GetLong(obj, "mid"),
                    IsNew = GetBool(obj, "is_new"),
                    GoUrl = GetString(obj, "go_url", true) ?? "",
                    UserProfile = new UserProfile
                    {
                        Name = profile == null ? "" : GetString(profile, "name", true) ?? "",
                        Face = profile == null ? "" : GetString(profile, "face", true) ?? "",
                        IsBlankProfile = profile != null && true.Equals(Get(profile, "is_userBlankProfile", true)),
                    },
                    Cookies = cookies.AsReadOnly(),
                    CookieHeader = GetString(obj, "cookie_header", false),
                };
            }
            return r;
        }

        static Exception Bad(string what) { return new BiliQrException(BiliQrStatus.ErrInternal, "bili_qr: unexpected JSON from the library: " + what); }

        static Dictionary<string, object> AsObject(object o)
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

        static object Get(Dictionary<string, object> obj, string key, bool optional = false)
        {
            object v;
            if (obj.TryGetValue(key, out v)) return v;
            if (optional) return null;
            throw Bad("missing \"" + key + "\"");
        }

        static string GetString(Dictionary<string, object> obj, string key, bool nullable)
        {
            object v = Get(obj, key, nullable);
            if (v == null && nullable) return null;
            var s = v as string;
            if (s == null) throw Bad("\"" + key + "\" is not a string");
            return s;
        }

        static long GetLong(Dictionary<string, object> obj, string key) { return ToLong(Get(obj, key), key); }

        static long ToLong(object v, string key)
        {
            if (v is long) return (long)v;
            throw Bad("\"" + key + "\" is not an integer");
        }

        static bool GetBool(Dictionary<string, object> obj, string key)
        {
            object v = Get(obj, key);
            if (v is bool) return (bool)v;
            throw Bad("\"" + key + "\" is not a boolean");
        }
    }

    /// <summary>
    /// A small JSON reader and string writer. Hand-written on purpose: netstandard2.0 under Unity/Mono has no
    /// System.Text.Json, and Unity's JsonUtility cannot read dictionaries, nulls or heterogeneous arrays. This is
    /// the one place in the bindings where hand-written parsing is accepted; it follows RFC 8259 strictly.
    /// Values: Dictionary&lt;string, object&gt;, List&lt;object&gt;, string, long (integers that fit), double
    /// (other numbers), bool, null.
    /// </summary>
    public static class BiliQrJson
    {
        const int MaxDepth = 128;

        /// <summary>Parses one JSON value (surrounding whitespace allowed); throws FormatException when malformed.</summary>
        public static object Parse(string json)
        {
            if (json == null) throw new FormatException("no JSON text (null)");
            var r = new Reader(json);
            r.SkipWs();
            object v = r.ReadValue(0);
            r.SkipWs();
            if (r.Pos != json.Length) throw r.Fail("unexpected text after the value");
            return v;
        }

        /// <summary>Appends s as a JSON string literal (quotes, backslashes and control characters escaped).</summary>
        public static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20 || c == '\u2028' || c == '\u2029' || c == '\u007f')
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else
                            sb.Append(c); // other non-ASCII goes as UTF-8 (lone surrogates are refused at marshalling)
                        break;
                }
            }
            sb.Append('"');
        }

        /// <summary>s as a JSON string literal.</summary>
        public static string Quote(string s)
        {
            var sb = new StringBuilder(s.Length + 2);
            WriteString(sb, s);
            return sb.ToString();
        }

        sealed class Reader
        {
            readonly string _s;
            public int Pos;

            public Reader(string s) { _s = s; }

            public FormatException Fail(string what)
            {
                return new FormatException("JSON: " + what + " at offset " + Pos.ToString(CultureInfo.InvariantCulture));
            }

            public void SkipWs()
            {
                while (Pos < _s.Length)
                {
                    char c = _s[Pos];
                    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') Pos++;
                    else break;
                }
            }

            public object ReadValue(int depth)
            {
                if (depth > MaxDepth) throw Fail("nesting too deep");
                if (Pos >= _s.Length) throw Fail("unexpected end");
                char c = _s[Pos];
                switch (c)
                {
                    case '{': return ReadObject(depth);
                    case '[': return ReadArray(depth);
                    case '"': return ReadString();
                    case 't': Literal("true"); return true;
                    case 'f': Literal("false"); return false;
                    case 'n': Literal("null"); return null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                        throw Fail("unexpected character '" + c + "'");
                }
            }

            void Literal(string word)
            {
                if (string.CompareOrdinal(_s, Pos, word, 0, word.Length) != 0) throw Fail("invalid literal");
                Pos += word.Length;
            }

            Dictionary<string, object> ReadObject(int depth)
            {
                var d = new Dictionary<string, object>(StringComparer.Ordinal);
                Pos++; // {
                SkipWs();
                if (Pos < _s.Length && _s[Pos] == '}') { Pos++; return d; }
                while (true)
                {
                    SkipWs();
                    if (Pos >= _s.Length || _s[Pos] != '"') throw Fail("expected a string key");
                    string key = ReadString();
                    SkipWs();
                    if (Pos >= _s.Length || _s[Pos] != ':') throw Fail("expected ':'");
                    Pos++;
                    SkipWs();
                    d[key] = ReadValue(depth + 1); // a repeated key: the last one wins
                    SkipWs();
                    if (Pos >= _s.Length) throw Fail("unterminated object");
                    char c = _s[Pos++];
                    if (c == '}') return d;
                    if (c != ',') { Pos--; throw Fail("expected ',' or '}'"); }
                }
            }

            List<object> ReadArray(int depth)
            {
                var a = new List<object>();
                Pos++; // [
                SkipWs();
                if (Pos < _s.Length && _s[Pos] == ']') { Pos++; return a; }
                while (true)
                {
                    SkipWs();
                    a.Add(ReadValue(depth + 1));
                    SkipWs();
                    if (Pos >= _s.Length) throw Fail("unterminated array");
                    char c = _s[Pos++];
                    if (c == ']') return a;
                    if (c != ',') { Pos--; throw Fail("expected ',' or ']'"); }
                }
            }

            string ReadString()
            {
                Pos++; // opening quote
                var sb = new StringBuilder();
                while (true)
                {
                    if (Pos >= _s.Length) throw Fail("unterminated string");
                    char c = _s[Pos++];
                    if (c == '"') return sb.ToString();
                    if (c < 0x20) { Pos--; throw Fail("control character in a string"); }
                    if (c != '\\') { sb.Append(c); continue; }
                    if (Pos >= _s.Length) throw Fail("unterminated escape");
                    char e = _s[Pos++];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            {
                                char u = ReadHex4();
                                // A surrogate pair arrives as two escapes (\ud83c\udfae); both halves are appended,
                                // which forms the pair in UTF-16. A lone half is kept as is, like most readers do.
                                sb.Append(u);
                                break;
                            }
                        default: Pos--; throw Fail("invalid escape");
                    }
                }
            }

            char ReadHex4()
            {
                if (Pos + 4 > _s.Length) throw Fail("truncated \\u escape");
                int v = 0;
                for (int i = 0; i < 4; i++)
                {
                    char h = _s[Pos++];
                    int d;
                    if (h >= '0' && h <= '9') d = h - '0';
                    else if (h >= 'a' && h <= 'f') d = h - 'a' + 10;
                    else if (h >= 'A' && h <= 'F') d = h - 'A' + 10;
                    else { Pos--; throw Fail("invalid hex digit in \\u escape"); }
                    v = v * 16 + d;
                }
                return (char)v;
            }

            object ReadNumber()
            {
                int start = Pos;
                bool integer = true;
                if (_s[Pos] == '-') Pos++;
                if (Pos >= _s.Length) throw Fail("truncated number");
                if (_s[Pos] == '0') Pos++;
                else if (_s[Pos] >= '1' && _s[Pos] <= '9') { while (Pos < _s.Length && IsDigit(_s[Pos])) Pos++; }
                else throw Fail("invalid number");
                if (Pos < _s.Length && _s[Pos] == '.')
                {
                    integer = false;
                    Pos++;
                    if (Pos >= _s.Length || !IsDigit(_s[Pos])) throw Fail("digit expected after '.'");
                    while (Pos < _s.Length && IsDigit(_s[Pos])) Pos++;
                }
                if (Pos < _s.Length && (_s[Pos] == 'e' || _s[Pos] == 'E'))
                {
                    integer = false;
                    Pos++;
                    if (Pos < _s.Length && (_s[Pos] == '+' || _s[Pos] == '-')) Pos++;
                    if (Pos >= _s.Length || !IsDigit(_s[Pos])) throw Fail("digit expected in exponent");
                    while (Pos < _s.Length && IsDigit(_s[Pos])) Pos++;
                }
                string text = _s.Substring(start, Pos - start);
                long l;
                if (integer && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)) return l;
                return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            }

            static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
        }
    }
}

// BiliQr.cs: the public API of the C# binding of bili_qr (namespace Bilibili.QrLogin).
//
// netstandard2.0, no dependencies: the files of src/ drop into a Unity project (Mono or IL2CPP scripting backend;
// the Unity package has them with an .asmdef) or build with BiliQr.csproj / mcs for .NET. Layers:
//   Interop.cs      P/Invoke declarations, UTF-8 marshalling, the _ex call helper, the ABI check
//   Json.cs         the JSON reader/writer
//   Models.cs       the public data types; ModelReader.cs builds them from the library's JSON
//   Session.cs      a saved session: load, save (atomic, owner-only), formats
//   BiliQr.cs       this file: the calls, sync and async
//
// Every error is a BiliQrException carrying the library's own message, also from the async methods: each call
// uses the library's _ex variant, which hands the message out with the result on the thread that ran it.

using System;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

#if !UNITY_5_3_OR_NEWER
namespace AOT
{
    /// <summary>
    /// Marks a static method that native code calls through a function pointer. Unity ships this attribute as
    /// AOT.MonoPInvokeCallbackAttribute in UnityEngine; IL2CPP and Mono's full-AOT recognise it by its name, so
    /// outside Unity (plain .NET, Mono, the NuGet package) the binding defines it itself.
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
    /// <summary>The bili_qr API. Every method is thread-safe.</summary>
    public static class BiliQr
    {
        /// <summary>The oldest C ABI version this binding accepts (a newer library serves it too).</summary>
        public const int AbiVersion = Native.RequiredAbi;

        /// <summary>The version of the loaded native library, e.g. "0.2.0".</summary>
        public static string NativeVersion { get { return Native.Version(); } }

        /// <summary>The ABI version reported by the loaded native library (at least AbiVersion once loaded).</summary>
        public static int NativeAbiVersion { get { return Native.EnsureLoaded(); } }

        /// <summary>The library's English phrase for a status code.</summary>
        public static string StatusText(BiliQrStatus status) { return Native.StatusText((int)status); }

        // ---- login ----

        /// <summary>Asks for a new QR code.</summary>
        public static QrCode Start(Options options = null)
        {
            int status;
            string json = Native.Call(delegate (IntPtr[] a, out IntPtr o, out IntPtr e) { return Native.bili_qr_start_ex(a[0], out o, out e); },
                                      new[] { "options" }, new[] { OptionsJson(options) }, out status);
            return ModelReader.ToQrCode(json);
        }

        /// <summary>Polls a ticket once. Ok (with Login), Waiting, Scanned and Expired are results; errors throw.</summary>
        /// <param name="ticket">The bare ticket, or any URL whose query has ticket= (QrCode.QrUrl works).</param>
        public static PollResult Poll(string ticket, Options options = null)
        {
            int status;
            string json = Native.Call(delegate (IntPtr[] a, out IntPtr o, out IntPtr e) { return Native.bili_qr_poll_ex(a[0], a[1], out o, out e); },
                                      new[] { "ticket", "options" }, new[] { ticket, OptionsJson(options) }, out status);
            return ModelReader.ToPollResult(status, json);
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

        /// <summary>Ends every wait running on that ticket in this process; returns how many were signalled. When none
        /// runs, the library keeps the cancel for 30 seconds and the next wait on that ticket ends at once with
        /// ErrCancelled (a cancel racing with a wait starting on another thread is not lost).</summary>
        public static int Cancel(string ticket)
        {
            Native.EnsureLoaded();
            using (var t = new Native.NativeUtf8(ticket, "ticket"))
            {
                // cancel has no _ex twin: its message is read on this thread, right after the call.
                int n = Native.bili_qr_cancel(t.Ptr);
                if (n < 0) throw Native.Error(n, Native.bili_qr_last_error());
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
            return Native.Call(delegate (IntPtr[] a, out IntPtr o, out IntPtr e) { return Native.bili_qr_render_ex(a[0], a[1], out o, out e); },
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

        // ---- after the login ----

        private delegate int SessionFn(IntPtr session, IntPtr optionsJson, out IntPtr outJson, out IntPtr outError);

        /// <summary>One of the _ex functions that take (session, options_json): its JSON output and status.</summary>
        private static string CallWithSession(SessionFn fn, Session session, Options options, out int status)
        {
            if (session == null) throw new ArgumentNullException("session");
            return Native.Call(delegate (IntPtr[] a, out IntPtr o, out IntPtr e) { return fn(a[0], a[1], out o, out e); },
                               new[] { "session", "options" }, new[] { session.Json, OptionsJson(options) }, out status);
        }

        /// <summary>
        /// Asks the service whether a saved session is still logged in (GET v2/user with its cookies; Options.ApiBaseUrl).
        /// Valid and expired are results (CheckResult.IsValid); errors throw. When CheckResult.Renewed is true, save
        /// CheckResult.Session: it holds the renewed cookies.
        /// </summary>
        public static CheckResult Check(Session session, Options options = null)
        {
            int status;
            string json = CallWithSession(Native.bili_qr_check_ex, session, options, out status);
            return ModelReader.ToCheckResult(status, json);
        }

        /// <summary>
        /// Ends a session at the service (POST login/exit with csrf = bili_jct). LogoutResult.LoggedOut is false when
        /// it had already ended. A csrf mismatch is ErrApi; a session without bili_jct is ErrArgument.
        /// </summary>
        public static LogoutResult Logout(Session session, Options options = null)
        {
            int status;
            string json = CallWithSession(Native.bili_qr_logout_ex, session, options, out status);
            return ModelReader.ToLogoutResult(status, json);
        }

        /// <summary>
        /// Renews a saved mainland (bilibili.com) session (ABI 3) and returns the new one. A web session (its
        /// RefreshToken and bili_jct; Options.BaseUrl, WwwBaseUrl and RefreshPublicKey apply) comes back with new
        /// cookies, a new RefreshToken and PreviousRefreshToken (NeedsConfirm): the old session is NOT retired yet
        /// and still works. Save the new one first, then call RefreshConfirm with it. A TV token session (Token)
        /// comes back with a new token pair and needs no confirmation (save it before using it).
        /// A session that has ended throws BiliQrException with Status Expired; a bilibili.tv session, one without
        /// a refresh token, or one whose last refresh is not confirmed yet is ErrArgument, and nothing is sent.
        /// </summary>
        public static Session Refresh(Session session, Options options = null)
        {
            Native.RequireAbi(3, "Refresh");
            int status;
            string json = CallWithSession(Native.bili_qr_refresh_ex, session, options, out status);
            return ModelReader.ToRefreshedSession(status, json, "refresh");
        }

        /// <summary>
        /// Retires the session that Refresh replaced (ABI 3): call it with the session Refresh returned, after saving
        /// that. Returns the confirmed session (PreviousRefreshToken null): save it in place of the refreshed one.
        /// From then on only the new session works. A session without PreviousRefreshToken (nothing to confirm, or
        /// a TV token session) is ErrArgument and nothing is sent; a session that has ended throws with Status
        /// Expired; a csrf (bili_jct) mismatch is ErrApi.
        /// </summary>
        public static Session RefreshConfirm(Session session, Options options = null)
        {
            Native.RequireAbi(3, "RefreshConfirm");
            int status;
            string json = CallWithSession(Native.bili_qr_refresh_confirm_ex, session, options, out status);
            return ModelReader.ToRefreshedSession(status, json, "refresh_confirm");
        }

        /// <summary>
        /// Converts a session in any form the library reads (poll object, session object JSON, Cookie header,
        /// cookies.txt) to format "json", "header" or "netscape" (bili_qr_session_convert; no network).
        /// </summary>
        public static string ConvertSession(string session, string format)
        {
            int status;
            return Native.Call(delegate (IntPtr[] a, out IntPtr o, out IntPtr e) { return Native.bili_qr_session_convert_ex(a[0], a[1], out o, out e); },
                               new[] { "session", "format" }, new[] { session, format }, out status);
        }

        /// <summary>The library's bili_qr_session_save (ABI 3): checks that text is a session, then writes it to path
        /// atomically with mode 0600. Throws BiliQrException ErrArgument when it is not a session or path cannot be
        /// written.</summary>
        internal static void SaveSessionFile(string path, string text)
        {
            Native.RequireAbi(3, "Session.Save");
            int status;
            Native.Call(delegate (IntPtr[] a, out IntPtr o, out IntPtr e) { o = IntPtr.Zero; return Native.bili_qr_session_save_ex(a[0], a[1], out e); },
                        new[] { "path", "session" }, new[] { path, text }, out status);
        }

        // ---- async ----
        // Each runs the call on a thread-pool thread; its exception carries the library's message (the _ex
        // variants hand it out with the result). The token is checked before the request starts; a single request
        // in flight is bounded by TimeoutMs and not interrupted (abandoning a poll could lose a confirmed login).

        /// <summary>Start on a thread-pool thread.</summary>
        public static Task<QrCode> StartAsync(Options options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => Start(options), cancellationToken);
        }

        /// <summary>Poll on a thread-pool thread.</summary>
        public static Task<PollResult> PollAsync(string ticket, Options options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => Poll(ticket, options), cancellationToken);
        }

        /// <summary>Check on a thread-pool thread.</summary>
        public static Task<CheckResult> CheckAsync(Session session, Options options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => Check(session, options), cancellationToken);
        }

        /// <summary>Logout on a thread-pool thread.</summary>
        public static Task<LogoutResult> LogoutAsync(Session session, Options options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => Logout(session, options), cancellationToken);
        }

        /// <summary>
        /// Refresh on a thread-pool thread. A refresh in flight is not interrupted by the token: its answer is the new
        /// session (the old one keeps working until RefreshConfirm, so an abandoned result would lose nothing, but
        /// the task still hands it out).
        /// </summary>
        public static Task<Session> RefreshAsync(Session session, Options options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => Refresh(session, options), cancellationToken);
        }

        /// <summary>RefreshConfirm on a thread-pool thread.</summary>
        public static Task<Session> RefreshConfirmAsync(Session session, Options options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return RunAsync(() => RefreshConfirm(session, options), cancellationToken);
        }

        /// <summary>
        /// Runs Wait on a thread of its own. When cancellationToken fires, the wait is ended through
        /// bili_qr_cancel (within about 100 ms) and the task ends as cancelled (OperationCanceledException); like
        /// Cancel, that ends every wait on this ticket in the process.
        /// Progress is reported through progress (a Progress&lt;T&gt; created on Unity's main thread reports there).
        /// </summary>
        public static Task<Login> WaitAsync(string ticket, Options options = null, IProgress<PollResult> progress = null,
                                            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (cancellationToken.IsCancellationRequested) return Cancelled<Login>();
            // A wait blocks for minutes: LongRunning gives it a thread of its own instead of holding one of the
            // thread pool's workers (TaskScheduler.Default either way).
            return Task.Factory.StartNew(() => WaitWithToken(ticket, options, progress, cancellationToken),
                                         cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        static Task<T> RunAsync<T>(Func<T> call, CancellationToken token)
        {
            if (token.IsCancellationRequested) return Cancelled<T>();
            return Task.Factory.StartNew(call, token, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        }

        static Task<T> Cancelled<T>()
        {
            var tcs = new TaskCompletionSource<T>();
            tcs.SetCanceled();
            return tcs.Task;
        }

        // ---- waits ----

        // The one delegate handed to native code. A static field keeps it alive for the life of the process, so
        // no wait can outlive it; its target is a static method, as IL2CPP requires.
        static readonly ProgressFn s_progress = OnProgressNative;

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
                PollResult r = ModelReader.ToPollResult(status, Native.PtrToStringUtf8(eventJson));
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
            Native.EnsureLoaded();
            var state = new WaitState { OnProgress = onProgress };
            GCHandle handle = GCHandle.Alloc(state);
            ProgressFn fn = onProgress != null ? s_progress : null;
            IntPtr outJson = IntPtr.Zero, outError = IntPtr.Zero;
            int status;
            string json;
            BiliQrException error = null;
            try
            {
                using (var t = new Native.NativeUtf8(ticket, "ticket"))
                using (var o = new Native.NativeUtf8(OptionsJson(options), "options"))
                {
                    status = Native.bili_qr_wait_ex(t.Ptr, o.Ptr, fn, GCHandle.ToIntPtr(handle), out outJson, out outError);
                    if (status < 0) error = Native.Error(status, outError);
                    json = Native.PtrToStringUtf8(outJson);
                }
            }
            finally
            {
                Native.bili_qr_free(outJson);
                Native.bili_qr_free(outError);
                GC.KeepAlive(fn);
                handle.Free();
            }
            if (state.Error != null) ExceptionDispatchInfo.Capture(state.Error).Throw();
            if (error != null) throw error;
            PollResult r = ModelReader.ToPollResult(status, json);
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
            // When the token fires: bili_qr_cancel ends the wait within ~100 ms. One call is enough: when the
            // native wait has not registered yet, the library keeps the cancel and that wait takes it as it
            // starts. The progress callback also checks the token.
            Action cancel = () =>
            {
                try
                {
                    if (Volatile.Read(ref finished) == 0) Cancel(ticket);
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

        static string OptionsJson(Options options) { return options == null ? null : options.ToJson(); }
    }
}

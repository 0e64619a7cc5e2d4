// Login tests of the C# binding against the fake passport server: start, poll, wait, cancel, render, options,
// errors. Part of the one test program (Harness.cs runs it).

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using Bilibili.QrLogin;

static partial class Tests
{
    static readonly string[] KeptCookies = { "SESSDATA", "bili_jct", "DedeUserID", "DedeUserID__ckMd5", "joy_jct", "mid", "sid" };

    static long Now() { return (long)(DateTime.UtcNow - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds; }

    /// name -> value of the Set-Cookie headers the fake server sent on the confirmed answer.
    internal static Dictionary<string, string> SentCookies(string scenario, string ticket)
    {
        var sent = new Dictionary<string, string>();
        foreach (var r in Fake.Fetches(scenario))
        {
            var q = (Dictionary<string, object>)r["query"];
            if ((string)q["ticket"] != ticket) continue;
            object sc;
            if (!r.TryGetValue("set_cookies", out sc) || sc == null) continue;
            foreach (string h in (List<object>)sc)
            {
                string nv = h.Split(';')[0];
                int eq = nv.IndexOf('=');
                sent[nv.Substring(0, eq).Trim()] = nv.Substring(eq + 1).Trim();
            }
        }
        return sent;
    }

    internal static void CheckLogin(Login login, string scenario, string ticket, long mid)
    {
        A.Eq<long?>(mid, login.Mid, "mid");
        A.Eq(string.Join(",", KeptCookies), string.Join(",", login.Cookies.Select(c => c.Name)), "kept cookies in order");
        var sent = SentCookies(scenario, ticket);
        A.True(sent.ContainsKey("SESSDATA"), "the server log shows the SESSDATA it sent");
        foreach (var c in login.Cookies)
            A.True(sent.ContainsKey(c.Name) && sent[c.Name] == c.Value, "cookie " + c.Name + " has exactly the value the server sent");
        A.Eq(string.Join("; ", login.Cookies.Select(c => c.Name + "=" + c.Value)), login.CookieHeader, "cookie_header");
        A.True(login.GetCookie("SESSDATA").Value.Contains("%2C"), "SESSDATA stays percent-encoded");
        var sess = login.GetCookie("SESSDATA");
        A.Eq("bilibili.tv", sess.Domain, "SESSDATA domain");
        A.Eq("/", sess.Path, "SESSDATA path");
        A.True(sess.Secure && sess.HttpOnly, "SESSDATA is Secure and HttpOnly");
        A.True(sess.Expires.HasValue && Math.Abs(sess.Expires.Value - (Now() + 180L * 86400)) < 3600, "SESSDATA expires in 180 days");
        var jct = login.GetCookie("bili_jct");
        A.Eq("bilibili.tv", jct.Domain, "bili_jct domain without the leading dot");
        A.True(jct.Secure && !jct.HttpOnly, "bili_jct is Secure, not HttpOnly");
        var dede = login.GetCookie("DedeUserID");
        A.Eq(mid.ToString(), dede.Value, "DedeUserID is the mid");
        A.True(dede.Expires.HasValue && Math.Abs(dede.Expires.Value - (Now() + 15552000L)) < 3600, "DedeUserID expires from Max-Age");
        A.Eq("biliintl.com", login.GetCookie("mid").Domain, "mid cookie domain");
        var sid = login.GetCookie("sid");
        A.True(sid.Domain == null && !sid.Expires.HasValue && sid.Path == "/", "sid is a session cookie without domain, path /");
        A.True(login.GetCookie("buvid3") == null && login.GetCookie("ad_track") == null && login.GetCookie("old_tracker") == null,
               "deleted and foreign cookies are dropped");
        A.True(!login.ToString().Contains(sess.Value) && !sess.ToString().Contains(sess.Value), "ToString never shows cookie values");
    }

    // ---------------------------------------------------------------------------------------------------------

    // The polls the fake server saw in scenario `sc`, counted a moment after a wait ended (a poll the wait still
    // sent would have arrived by then).
    static int PollsAfterAPause(string sc)
    {
        Thread.Sleep(300);
        return Fake.Fetches(sc).Count;
    }

    public static void TestVersionAndAbi()
    {
        A.True(BiliQr.NativeAbiVersion >= 2, "bili_qr_abi_version() >= 2: " + BiliQr.NativeAbiVersion);
        A.Eq(2, BiliQr.AbiVersion, "the binding needs ABI 2");
        A.True(System.Text.RegularExpressions.Regex.IsMatch(BiliQr.NativeVersion, @"^\d+\.\d+\.\d+"), "version looks like x.y.z: " + BiliQr.NativeVersion);
        A.Eq(-4, (int)BiliQrStatus.ErrHttp, "status values follow the ABI");
        string http = BiliQr.StatusText(BiliQrStatus.ErrHttp);
        A.True(http.Length > 0 && http != BiliQr.StatusText((BiliQrStatus)12345), "status_str knows ErrHttp and differs for unknown codes");
    }

    public static void TestStart()
    {
        string sc = Fake.Scenario("");
        var opt = Fake.Opt(sc);
        opt.Locale = "th_TH";
        opt.UserAgent = "bili-qr-csharp-test/1.0 (+tests)";
        var qr = BiliQr.Start(opt);
        A.True(System.Text.RegularExpressions.Regex.IsMatch(qr.Ticket, "^[0-9a-f]{32}$"), "ticket is 32 hex");
        A.True(qr.QrUrl.StartsWith("https://www.bilibili.tv/h5/th/qrcode/login?", StringComparison.Ordinal), "qr_url follows the locale: " + qr.QrUrl);
        A.True(qr.QrUrl.EndsWith("ticket=" + qr.Ticket, StringComparison.Ordinal), "qr_url carries the ticket");
        A.Eq("qrcode_login", qr.QrType, "qr_type");
        A.True(!qr.ToString().Contains(qr.Ticket.Substring(0, 7)), "QrCode.ToString shows at most 6 ticket characters");
        var log = Fake.Log(sc);
        A.Eq(1, log.Count, "one request sent");
        A.True(((string)log[0]["path"]).EndsWith("/x/intl/passport-login/qrcode/auth/url", StringComparison.Ordinal), "url endpoint");
        var q = (Dictionary<string, object>)log[0]["query"];
        A.Eq("th_TH", (string)q["s_locale"], "s_locale");
        A.Eq("web", (string)q["platform"], "platform default");
        var h = (Dictionary<string, object>)log[0]["headers"];
        A.Eq("bili-qr-csharp-test/1.0 (+tests)", (string)h["user-agent"], "user-agent option sent");
        var second = BiliQr.Start(Fake.Opt(sc));
        A.True(second.Ticket != qr.Ticket, "each start issues a fresh ticket");
    }

    public static void TestPollStates()
    {
        string sc = Fake.Scenario("flow=wsc,mid=4242");
        var opt = Fake.Opt(sc);
        var qr = BiliQr.Start(opt);
        var p1 = BiliQr.Poll(qr.Ticket, opt);
        A.Eq(BiliQrStatus.Waiting, p1.Status, "first poll");
        A.Eq("waiting", p1.StatusName, "status name");
        A.Eq(10018101L, p1.Code, "waiting code");
        A.True(p1.Login == null && !p1.IsConfirmed, "no login while waiting");
        var p2 = BiliQr.Poll(qr.QrUrl, opt); // the qr_url works as a ticket too
        A.Eq(BiliQrStatus.Scanned, p2.Status, "second poll (by qr_url)");
        A.Eq(10018102L, p2.Code, "scanned code");
        var p3 = BiliQr.Poll(qr.Ticket, opt);
        A.Eq(BiliQrStatus.Ok, p3.Status, "third poll");
        A.Eq("confirmed", p3.StatusName, "confirmed name");
        A.Eq(0L, p3.Code, "confirmed code");
        A.True(p3.Login != null, "confirmed poll carries the login");
        CheckLogin(p3.Login, sc, qr.Ticket, 4242);
        var p4 = BiliQr.Poll(qr.Ticket, opt);
        A.Eq(BiliQrStatus.Expired, p4.Status, "a spent ticket answers expired");
        A.Eq(10018100L, p4.Code, "expired code");
        A.Eq(4, Fake.Fetches(sc).Count, "four fetches sent");
    }

    public static void TestWaitConfirmedWithCookies()
    {
        string sc = Fake.Scenario("flow=wwsc,mid=777,name=Tester_77");
        var opt = Fake.Opt(sc);
        var qr = BiliQr.Start(opt);
        var seen = new List<string>();
        int callbackThread = -1;
        var login = BiliQr.Wait(qr.Ticket, opt, r => { seen.Add(r.StatusName + ":" + r.Code); callbackThread = Thread.CurrentThread.ManagedThreadId; return true; });
        A.Eq("waiting:10018101,waiting:10018101,scanned:10018102", string.Join(",", seen), "progress events");
        A.Eq(Thread.CurrentThread.ManagedThreadId, callbackThread, "onProgress runs on the waiting thread");
        A.Eq("Tester_77", login.UserProfile.Name, "user name");
        A.Eq<bool?>(false, login.IsNew, "is_new");
        CheckLogin(login, sc, qr.Ticket, 777);
    }

    public static void TestWaitWithoutCallback()
    {
        string sc = Fake.Scenario("flow=wsc");
        var opt = Fake.Opt(sc);
        var qr = BiliQr.Start(opt);
        var login = BiliQr.Wait(qr.Ticket, opt);
        CheckLogin(login, sc, qr.Ticket, 1709658507);
    }

    public static void TestWaitExpired()
    {
        string sc = Fake.Scenario("flow=wwe");
        var opt = Fake.Opt(sc);
        var qr = BiliQr.Start(opt);
        int calls = 0;
        A.Status(BiliQrStatus.Expired, () => BiliQr.Wait(qr.Ticket, opt, r => { calls++; return true; }), "wait on an expiring ticket");
        A.Eq(2, calls, "two waiting events before expiry");
    }

    public static void TestWaitTimeout()
    {
        // The ticket stays waiting for 30 s and then expires: a wait that ignored wait_timeout_ms would end
        // EXPIRED after 30 s, so both the status and the 10 s bound (far from the 1 s expected) tell.
        string sc = Fake.Scenario("flow=w,expire=30000");
        var opt = Fake.Opt(sc);
        opt.WaitTimeoutMs = 1000;
        var qr = BiliQr.Start(opt);
        var sw = Stopwatch.StartNew();
        A.Status(BiliQrStatus.ErrTimeout, () => BiliQr.Wait(qr.Ticket, opt), "wait past wait_timeout_ms");
        // The lower bound cannot fail on a slow machine (that only makes the wait end later).
        A.True(sw.ElapsedMilliseconds >= 900, "not before wait_timeout_ms: " + sw.ElapsedMilliseconds + " ms");
        A.True(sw.ElapsedMilliseconds < 10000, "ended on wait_timeout_ms, not on the expiry 30 s later: " + sw.ElapsedMilliseconds + " ms");
    }

    public static void TestWaitAsyncConfirmedWithProgress()
    {
        string sc = Fake.Scenario("flow=wsc");
        var opt = Fake.Opt(sc);
        var qr = BiliQr.Start(opt);
        var events = new List<BiliQrStatus>();
        int mainThread = Thread.CurrentThread.ManagedThreadId, reportThread = -1;
        var task = BiliQr.WaitAsync(qr.Ticket, opt, new SyncProgress<PollResult>(r => { lock (events) events.Add(r.Status); reportThread = Thread.CurrentThread.ManagedThreadId; }));
        A.True(task.Wait(15000), "WaitAsync finished");
        CheckLogin(task.Result, sc, qr.Ticket, 1709658507);
        A.Eq("Waiting,Scanned", string.Join(",", events), "progress reports");
        A.True(reportThread != mainThread, "the wait ran off the calling thread");
    }

    public static void TestWaitAsyncCancellationToken()
    {
        string sc = Fake.Scenario("flow=w");
        var opt = Fake.Opt(sc);
        opt.PollIntervalMs = 30000;
        opt.WaitTimeoutMs = 60000;
        var qr = BiliQr.Start(opt);
        var cts = new CancellationTokenSource();
        var task = BiliQr.WaitAsync(qr.Ticket, opt, null, cts.Token);
        // Once the server has answered its first poll the wait is running: it sleeps 30 s until the next
        // one (and a token that fired before that would end it all the same: a cancel is kept for the wait).
        for (int i = 0; i < 500 && Fake.Fetches(sc).Count == 0; i++) Thread.Sleep(20);
        A.True(!task.IsCompleted, "still waiting before the token fires");
        var sw = Stopwatch.StartNew();
        cts.Cancel();
        bool done = false;
        try { done = task.Wait(15000); } catch (AggregateException ae) { done = true; A.True(ae.InnerException is OperationCanceledException, "cancelled with OperationCanceledException: " + ae.InnerException); }
        A.True(done, "task ended after the token fired");
        // A token not seen during the 30 s sleep would end the wait 30 s later at the soonest: the 10 s bound
        // is far from that and from the ~0.1 s expected.
        A.True(sw.ElapsedMilliseconds < 10000, "WaitAsync ended during its sleep, not at the next poll: " + sw.ElapsedMilliseconds + " ms");
        A.True(task.IsCanceled, "task state is Canceled (was " + task.Status + ")");
        int fetches = Fake.Fetches(sc).Count;
        Thread.Sleep(1300);
        A.Eq(fetches, Fake.Fetches(sc).Count, "no polls after cancellation");
    }

    public static void TestWaitAsyncPreCancelled()
    {
        string sc = Fake.Scenario("flow=w");
        var opt = Fake.Opt(sc);
        var qr = BiliQr.Start(opt);
        var cts = new CancellationTokenSource();
        cts.Cancel();
        var task = BiliQr.WaitAsync(qr.Ticket, opt, null, cts.Token);
        try { task.Wait(2000); } catch (AggregateException) { }
        A.True(task.IsCanceled, "an already-cancelled token gives a cancelled task");
        A.Eq(0, PollsAfterAPause(sc), "nothing was polled");
    }

    public static void TestWaitAsyncErrorIsNotCancellation()
    {
        string sc = Fake.Scenario("fault=412,on=fetch");
        var opt = Fake.Opt(sc);
        var qr = BiliQr.Start(opt);
        var task = BiliQr.WaitAsync(qr.Ticket, opt, null, new CancellationTokenSource().Token);
        var ae = A.Throws<AggregateException>(() => task.Wait(10000), "WaitAsync on a 412");
        var e = ae.InnerException as BiliQrException;
        A.True(e != null && e.Status == BiliQrStatus.ErrHttp, "the task faults with BiliQrException ErrHttp: " + ae.InnerException);
        A.True(task.IsFaulted, "task state is Faulted");
    }

    public static void TestConcurrentWaitAsync()
    {
        string sc = Fake.Scenario("flow=wwsc");
        var opt = Fake.Opt(sc);
        var tickets = Enumerable.Range(0, 4).Select(_ => BiliQr.Start(opt).Ticket).ToList();
        var tasks = tickets.Select(t => BiliQr.WaitAsync(t, opt)).ToArray();
        A.True(Task.WaitAll(tasks, 20000), "all concurrent waits finished");
        for (int i = 0; i < tickets.Count; i++) CheckLogin(tasks[i].Result, sc, tickets[i], 1709658507);
        A.Eq(4, tasks.Select(t => t.Result.GetCookie("SESSDATA").Value).Distinct().Count(), "each login has its own session");
    }

    public static void TestOnProgressFalseCancels()
    {
        string sc = Fake.Scenario("flow=w");
        var opt = Fake.Opt(sc);
        var qr = BiliQr.Start(opt);
        int calls = 0;
        A.Status(BiliQrStatus.ErrCancelled, () => BiliQr.Wait(qr.Ticket, opt, r => ++calls < 2), "onProgress returning false");
        A.Eq(2, calls, "cancelled at the second event");
        A.Eq(2, PollsAfterAPause(sc), "no poll after the cancelling callback");
    }

    public static void TestOnProgressExceptionRethrown()
    {
        string sc = Fake.Scenario("flow=w");
        var opt = Fake.Opt(sc);
        var qr = BiliQr.Start(opt);
        var boom = new Boom();
        var e = A.Throws<Boom>(() => BiliQr.Wait(qr.Ticket, opt, r => { throw boom; }), "onProgress throwing");
        A.True(ReferenceEquals(boom, e), "the very exception is rethrown");
        A.True(e.StackTrace != null && e.StackTrace.Contains("TestOnProgressExceptionRethrown"), "its original stack trace is kept");
        A.Eq(1, PollsAfterAPause(sc), "the wait stopped after the throwing callback");
        // The binding stays usable afterwards (handles and buffers released, nothing wedged).
        var qr2 = BiliQr.Start(opt);
        A.Eq(BiliQrStatus.Waiting, BiliQr.Poll(qr2.Ticket, opt).Status, "a later poll works");
    }

    public static void TestCancelFromAnotherThread()
    {
        string sc = Fake.Scenario("flow=w");
        var opt = Fake.Opt(sc);
        opt.PollIntervalMs = 30000;
        var qr = BiliQr.Start(opt);
        // A cancel with no wait running signals nothing and is kept for the next wait on that ticket, which
        // ends at once (what lets WaitAsync cancel with one call a wait whose thread has not started it yet).
        var idle = BiliQr.Start(opt);
        A.Eq(0, BiliQr.Cancel(idle.Ticket), "cancel with no wait running");
        A.Status(BiliQrStatus.ErrCancelled, () => BiliQr.Wait(idle.Ticket, opt), "a cancel before the wait is kept for it");
        var firstEvent = new ManualResetEventSlim();
        int signalled = -1;
        long cancelledAt = 0;
        var sw = Stopwatch.StartNew();
        var canceller = new Thread(() =>
        {
            // The first progress event means the wait is running (so the cancel finds it: 1); 100 ms later it
            // is most likely asleep until the next poll. A slow machine that cancels during the callback
            // instead gets the same outcome: the wait checks the signal before it sleeps.
            firstEvent.Wait(10000);
            Thread.Sleep(100);
            cancelledAt = sw.ElapsedMilliseconds;
            signalled = BiliQr.Cancel(qr.Ticket);
        });
        canceller.Start();
        A.Status(BiliQrStatus.ErrCancelled, () => BiliQr.Wait(qr.Ticket, opt, r => { firstEvent.Set(); return true; }), "wait cancelled by Cancel");
        long endedAt = sw.ElapsedMilliseconds;
        canceller.Join(5000);
        A.Eq(1, signalled, "Cancel signalled one wait");
        // The wait sleeps 30 s between polls; a cancel not seen during the sleep would end it 30 s later at
        // the soonest (or never: the ticket stays waiting). The 10 s bound is far from both.
        A.True(endedAt - cancelledAt < 10000, "the wait ended during its sleep after Cancel: " + (endedAt - cancelledAt) + " ms");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Cancel("not a ticket!"), "Cancel with a malformed ticket");
    }

    public static void TestErrorStatuses()
    {
        var e412 = A.Status(BiliQrStatus.ErrHttp, () => BiliQr.Start(Fake.Opt(Fake.Scenario("fault=412"))), "HTTP 412");
        A.True(e412.Message.Contains("412"), "the message names the HTTP status: " + e412.Message);
        var eApi = A.Status(BiliQrStatus.ErrApi, () => BiliQr.Start(Fake.Opt(Fake.Scenario("fault=api-412"))), "API -412");
        A.True(eApi.Message.Contains("-412"), "the message carries the API code: " + eApi.Message);
        A.Status(BiliQrStatus.ErrProtocol, () => BiliQr.Start(Fake.Opt(Fake.Scenario("fault=notjson"))), "not JSON");
        A.Status(BiliQrStatus.ErrNetwork, () => BiliQr.Start(new Options { BaseUrl = "http://127.0.0.1:1", TimeoutMs = 3000 }), "connection refused");
        // The server answers after 30 s: a call not bounded by timeout_ms (300 ms) would take 30 s; the 10 s
        // bound is far from both.
        var slow = Fake.Opt(Fake.Scenario("fault=slow,delay=30000"));
        slow.TimeoutMs = 300;
        var sw = Stopwatch.StartNew();
        A.Status(BiliQrStatus.ErrTimeout, () => BiliQr.Start(slow), "request past timeout_ms");
        A.True(sw.ElapsedMilliseconds < 10000, "the request timeout bounds the call: " + sw.ElapsedMilliseconds + " ms");

        // A 4xx while waiting ends the wait at once, and no message shows more than 6 ticket characters.
        string sc = Fake.Scenario("fault=412,on=fetch");
        var opt = Fake.Opt(sc);
        var qr = BiliQr.Start(opt);
        var ew = A.Status(BiliQrStatus.ErrHttp, () => BiliQr.Wait(qr.Ticket, opt), "wait on a 412");
        // Not retried: every retry would have reached the server before the wait returned.
        A.Eq(1, Fake.Fetches(sc).Count, "one fetch for a 4xx");
        var ep = A.Status(BiliQrStatus.ErrHttp, () => BiliQr.Poll(qr.Ticket, opt), "poll on a 412");
        A.True(!ew.Message.Contains(qr.Ticket.Substring(0, 7)) && !ep.Message.Contains(qr.Ticket.Substring(0, 7)), "messages hide the ticket");

        // Transient 5xx are retried by wait.
        string sc5 = Fake.Scenario("flow=wsc,fault=500,on=fetch,times=2");
        var opt5 = Fake.Opt(sc5);
        opt5.MaxRetries = 3;
        var qr5 = BiliQr.Start(opt5);
        CheckLogin(BiliQr.Wait(qr5.Ticket, opt5), sc5, qr5.Ticket, 1709658507);
    }

    public static void TestBadArguments()
    {
        string sc = Fake.Scenario("");
        var opt = Fake.Opt(sc);
        Action<string, Options, string> bad = (what, o, key) =>
        {
            var e = A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Start(o), what);
            A.True(e.Message.Contains(key), what + ": the message names " + key + ": " + e.Message);
        };
        var o1 = opt.Clone(); o1.TimeoutMs = 0; bad("timeout_ms 0", o1, "timeout_ms");
        var o2 = opt.Clone(); o2.PollIntervalMs = 5; bad("poll_interval_ms 5", o2, "poll_interval_ms");
        var o3 = opt.Clone(); o3.Locale = "en US"; bad("locale with a space", o3, "locale");
        var o4 = opt.Clone(); o4.BaseUrl = "http://example.com"; bad("plain http to a non-loopback host", o4, "base_url");
        var o5 = opt.Clone(); o5.Proxy = "ftp://a\"b\\c"; bad("a proxy with quotes and backslashes (escaped JSON)", o5, "proxy");
        var o6 = opt.Clone(); o6.MaxRetries = 101; bad("max_retries 101", o6, "max_retries");
        A.Eq(0, Fake.Log(sc).Count, "nothing sent for bad options");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Poll("abc def", opt), "malformed ticket");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Poll(new string('a', 129), opt), "ticket of 129 characters");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Poll(null, opt), "null ticket");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Wait("abc def", opt), "wait on a malformed ticket");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Poll("abc\0def", opt), "ticket with a NUL");
        A.Eq(0, Fake.Log(sc).Count, "nothing sent for malformed tickets");
    }

    public static void TestOptionsJson()
    {
        A.Eq("{}", new Options().ToJson(), "empty options");
        var o = new Options
        {
            BaseUrl = "http://127.0.0.1:9/p", Locale = "en_US", Platform = "web", TimeoutMs = 1234, UserAgent = "ua \"q\" \\ \t\n\u0001 é 🎮",
            Proxy = "", PollIntervalMs = 150, WaitTimeoutMs = 5000, MaxRetries = 0,
            ApiBaseUrl = "http://127.0.0.1:9/api", VerifyLogin = false, CaFile = "/tmp/ca.pem",
        };
        var d = (Dictionary<string, object>)BiliQrJson.Parse(o.ToJson());
        A.Eq(12, d.Count, "every option is written");
        A.Eq(false, (bool)d["verify_login"], "a bool option is a JSON bool (false is written, not left out)");
        A.Eq(o.UserAgent, (string)d["user_agent"], "escaping round-trips");
        A.Eq("", (string)d["proxy"], "an empty proxy is kept (means: no proxy)");
        A.Eq(1234L, (long)d["timeout_ms"], "integers");
        A.Eq(0L, (long)d["max_retries"], "zero is written, not left out");
        A.True(!o.ToJson().Contains("\n") && o.ToJson().Contains("\\u0001"), "control characters are escaped");

        // All options at once are accepted by the library and take effect.
        string sc = Fake.Scenario("flow=wsc");
        var all = new Options
        {
            BaseUrl = Fake.Base + "/s/" + sc + "/", Locale = "vi_VN", Platform = "web", TimeoutMs = 4000, UserAgent = "Mozilla/5.0 (bili-qr C# test)",
            Proxy = "", PollIntervalMs = 100, WaitTimeoutMs = 10000, MaxRetries = 1,
            ApiBaseUrl = Fake.Base + "/s/" + sc, VerifyLogin = false,
        };
        var qr = BiliQr.Start(all);
        CheckLogin(BiliQr.Wait(qr.Ticket, all), sc, qr.Ticket, 1709658507);
        foreach (var r in Fake.Log(sc))
        {
            A.Eq("vi_VN", (string)((Dictionary<string, object>)r["query"])["s_locale"], "s_locale on every request");
            A.Eq("Mozilla/5.0 (bili-qr C# test)", (string)((Dictionary<string, object>)r["headers"])["user-agent"], "user agent on every request");
        }
    }

    public static void TestRenderFormats()
    {
        string url = "https://www.bilibili.tv/h5/en/qrcode/login?ticket=0123456789abcdef0123456789abcdef";
        string matrix = BiliQr.Render(url, "matrix");
        A.True(matrix.EndsWith("\n", StringComparison.Ordinal), "matrix ends with a newline");
        var rows = matrix.Substring(0, matrix.Length - 1).Split('\n');
        int n = rows.Length;
        A.True(n >= 21 && (n - 17) % 4 == 0, "a QR size (4v+17): " + n);
        foreach (var row in rows) A.True(row.Length == n && row.All(c => c == '0' || c == '1'), "rows of N 0/1 characters");
        var m = BiliQr.RenderMatrix(url);
        A.Eq(n, m.GetLength(0), "RenderMatrix size");
        // Finder patterns in three corners (no quiet zone): dark border, light ring, dark 3x3 centre.
        foreach (var corner in new[] { new[] { 0, 0 }, new[] { 0, n - 7 }, new[] { n - 7, 0 } })
            for (int y = 0; y < 7; y++)
                for (int x = 0; x < 7; x++)
                {
                    int ring = Math.Max(Math.Abs(y - 3), Math.Abs(x - 3));
                    A.Eq(ring != 2, m[corner[0] + y, corner[1] + x], "finder module " + (corner[0] + y) + "," + (corner[1] + x));
                    A.Eq(ring != 2 ? '1' : '0', rows[corner[0] + y][corner[1] + x], "matrix text matches RenderMatrix");
                }

        // utf8: half blocks, two module rows per line, a quiet zone; decoding it gives the same matrix.
        string text = BiliQr.Render(url, "utf8");
        A.True(text.EndsWith("\n", StringComparison.Ordinal), "utf8 ends with a newline");
        var lines = text.Substring(0, text.Length - 1).Split('\n');
        int w = lines[0].Length;
        A.True(lines.All(l => l.Length == w), "utf8 lines have one width");
        A.True(lines.All(l => l.All(c => c == ' ' || c == '▀' || c == '▄' || c == '█')), "utf8 uses spaces and half blocks");
        int q = (w - n) / 2;
        A.True(q >= 2 && w == n + 2 * q, "a quiet zone of at least 2 modules: width " + w + " for " + n);
        Func<int, int, bool> dark = (y, x) =>
        {
            char c = lines[y / 2][x];
            return y % 2 == 0 ? (c == '▀' || c == '█') : (c == '▄' || c == '█');
        };
        int top = -1; // the quiet zone above: the first text row holding a dark module
        for (int y = 0; y < lines.Length * 2 && top < 0; y++) for (int x = 0; x < w; x++) if (dark(y, x)) { top = y; break; }
        A.True(top >= 2, "a quiet zone above: " + top);
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                if (dark(top + y, q + x) != m[y, x]) throw new TestFailure("utf8 differs from matrix at " + y + "," + x);

        string svg = BiliQr.Render(url, "svg");
        var doc = new XmlDocument();
        doc.LoadXml(svg);
        A.Eq("svg", doc.DocumentElement.LocalName, "svg root element");
        A.Eq("http://www.w3.org/2000/svg", doc.DocumentElement.NamespaceURI, "svg namespace");

        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Render(url, "png"), "unknown format");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Render(url, null), "null format");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Render("", "matrix"), "empty text");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Render(null, "matrix"), "null text");
        A.True(BiliQr.Render(new string('a', 2048), "matrix").Length > 0, "2048 bytes render");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Render(new string('a', 2049), "matrix"), "2049 bytes");
    }

    public static void TestUnicode()
    {
        // user_agent must be printable ASCII: non-ASCII travels as UTF-8 and the library refuses it.
        var opt = Fake.Opt(Fake.Scenario(""));
        opt.UserAgent = "Mozilla/5.0 (Ünïcödé; 日本語)";
        var e = A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Start(opt), "non-ASCII user_agent");
        A.True(e.Message.Contains("user_agent"), "names user_agent: " + e.Message);

        // render counts UTF-8 bytes: 682 x '€' (3 bytes each) = 2046 bytes fit, 683 = 2049 do not.
        A.True(BiliQr.Render(new string('€', 682), "matrix").Length > 0, "2046 UTF-8 bytes render");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Render(new string('€', 683), "matrix"), "2049 UTF-8 bytes");
        // Surrogate pairs are 4 UTF-8 bytes: 512 x 🎮 = 2048 bytes fit, 513 do not.
        var sb = new StringBuilder();
        for (int i = 0; i < 512; i++) sb.Append("🎮");
        A.True(BiliQr.Render(sb.ToString(), "matrix").Length > 0, "512 emoji (2048 bytes) render");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Render(sb.Append("🎮").ToString(), "matrix"), "513 emoji");
        string u = BiliQr.Render("ログイン 🎮 Ünïcødé", "utf8");
        A.True(u.Contains("█") || u.Contains("▀"), "non-ASCII text renders");
        A.True(BiliQr.Render("ログイン 🎮 Ünïcødé", "matrix") != BiliQr.Render("ログイン ?? Ünïcødé", "matrix"), "the emoji's bytes reach the encoder");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Render("lone \ud83c surrogate", "matrix"), "a lone surrogate");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Render("a\0b", "matrix"), "an embedded NUL");
        // Output decoding: a non-ASCII user name (percent-encoded in the scenario, decoded by the fake server,
        // sent as UTF-8 JSON) comes back from the library intact, including a character outside the BMP.
        string name = "Zoë 张三 🎮";
        var nopt = Fake.Opt(Fake.Scenario("flow=c,name=" + Uri.EscapeDataString(name)));
        var nqr = BiliQr.Start(nopt);
        var confirmed = BiliQr.Poll(nqr.Ticket, nopt);
        A.Eq(BiliQrStatus.Ok, confirmed.Status, "confirmed at the first poll");
        A.Eq(name, confirmed.Login.UserProfile.Name, "non-ASCII name round-trip");
        // The SVG of non-ASCII text comes back as well-formed XML.
        new XmlDocument().LoadXml(BiliQr.Render("ログイン 🎮", "svg"));
    }

    public static void TestJsonReader()
    {
        var v = (Dictionary<string, object>)BiliQrJson.Parse(
            " {\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u65E5\",\"e\":\"\\ud83c\\udfae\",\"raw\":\"é🎮\",\"i\":-42,\"big\":1811061062," +
            "\"l\":9223372036854775807,\"over\":9223372036854775808,\"d\":1.5e3,\"z\":0,\"neg\":-0.25,\"t\":true,\"f\":false,\"n\":null," +
            "\"a\":[1,[],{},\"x\"],\"o\":{\"k\":{\"k\":[null]}}} ");
        A.Eq("a\"b\\c/d\b\f\n\r\té日", (string)v["s"], "string escapes");
        A.Eq("🎮", (string)v["e"], "a surrogate pair escape");
        A.Eq("é🎮", (string)v["raw"], "raw non-ASCII");
        A.Eq(-42L, (long)v["i"], "negative integer");
        A.Eq(1811061062L, (long)v["big"], "integer as long");
        A.Eq(long.MaxValue, (long)v["l"], "long max");
        A.True(v["over"] is double, "an integer past long is a double");
        A.Eq(1500.0, (double)v["d"], "exponent");
        A.Eq(0L, (long)v["z"], "zero");
        A.Eq(-0.25, (double)v["neg"], "negative fraction");
        A.True((bool)v["t"] && !(bool)v["f"] && v["n"] == null && v.ContainsKey("n"), "literals");
        var a = (List<object>)v["a"];
        A.True(a.Count == 4 && a[1] is List<object> && a[2] is Dictionary<string, object>, "arrays");
        A.Eq(null, ((List<object>)((Dictionary<string, object>)((Dictionary<string, object>)v["o"])["k"])["k"])[0], "nesting");
        string[] bad = { "", " ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "\"\\x\"", "\"\\u12G4\"",
                         "\"abc", "tru", "nul", "\"a\nb\"", "[1] x", "{} {}", "[", "'a'", "NaN" };
        foreach (var s in bad)
            A.Throws<FormatException>(() => BiliQrJson.Parse(s), "malformed JSON " + BiliQrJson.Quote(s));
        A.Throws<FormatException>(() => BiliQrJson.Parse(new string('[', 1000) + new string(']', 1000)), "too deep");
        A.Eq("\"\\u2028\\\"\"", BiliQrJson.Quote("\u2028\""), "Quote escapes");
        A.Eq("x\u0001y🎮", (string)BiliQrJson.Parse(BiliQrJson.Quote("x\u0001y🎮")), "Quote round-trips");
    }
}


// Async error tests: an `await` caller sees the library's own message, the same text as a synchronous
// caller, whatever pool thread ran the call — for the fake server's 412, 429, captcha and missing-cookie faults.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Bilibili.QrLogin;

static partial class Tests
{
    /// The message with the ticket's first 6 characters (the most a message may show) replaced by a marker.
    static string Norm(string message, string ticket) { return message.Replace(ticket.Substring(0, 6), "<ticket>"); }

    static async Task<BiliQrException> AwaitError<T>(Func<Task<T>> call)
    {
        try { await call().ConfigureAwait(false); }
        catch (BiliQrException e) { return e; }
        throw new TestFailure("the awaited call did not fail");
    }

    sealed class Fault
    {
        public string Name, Scenario;
        public BiliQrStatus Status;
        public string[] MustContain;
    }

    static readonly Fault[] Faults =
    {
        new Fault { Name = "412", Scenario = "fault=412,on=fetch", Status = BiliQrStatus.ErrHttp, MustContain = new[] { "412", "slow down" } },
        new Fault { Name = "429", Scenario = "fault=429,on=fetch,retry=7", Status = BiliQrStatus.ErrHttp, MustContain = new[] { "429", "7" } },
        new Fault { Name = "missing cookies", Scenario = "flow=c,fault=nocookies", Status = BiliQrStatus.ErrProtocol, MustContain = new[] { "SESSDATA" } },
        new Fault { Name = "captcha", Scenario = "fault=captcha,on=fetch", Status = BiliQrStatus.ErrApi, MustContain = new[] { "captcha", "browser" } },
    };

    public static void TestAwaitSeesTheLibraryMessage()
    {
        foreach (var f in Faults.Where(f => f.Name != "captcha")) AwaitMatchesSync(f);
    }

    public static void TestAwaitSeesTheCaptchaMessage()
    {
        AwaitMatchesSync(Faults.Single(f => f.Name == "captcha"));
    }

    static void AwaitMatchesSync(Fault f)
    {
        string sc = Fake.Scenario(f.Scenario);
        var opt = Fake.Opt(sc);
        opt.MaxRetries = 0; // a 429 ends the wait at once, like the poll
        string t1 = BiliQr.Start(opt).Ticket, t2 = BiliQr.Start(opt).Ticket, t3 = BiliQr.Start(opt).Ticket, t4 = BiliQr.Start(opt).Ticket;

        var sync = A.Status(f.Status, () => BiliQr.Poll(t1, opt), f.Name + ": sync poll");
        foreach (var word in f.MustContain)
            A.True(sync.Message.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0, f.Name + ": the message contains \"" + word + "\": " + sync.Message);
        A.True(sync.Message != BiliQr.StatusText(f.Status), f.Name + ": more than the status phrase");

        var awaited = AwaitError(() => BiliQr.PollAsync(t2, opt)).Result;
        A.Eq(f.Status, awaited.Status, f.Name + ": awaited poll status");
        A.Eq(Norm(sync.Message, t1), Norm(awaited.Message, t2), f.Name + ": awaited PollAsync has the sync message");

        var syncWait = A.Status(f.Status, () => BiliQr.Wait(t3, opt), f.Name + ": sync wait");
        var awaitedWait = AwaitError(() => BiliQr.WaitAsync(t4, opt)).Result;
        A.Eq(f.Status, awaitedWait.Status, f.Name + ": awaited wait status");
        A.Eq(Norm(syncWait.Message, t3), Norm(awaitedWait.Message, t4), f.Name + ": awaited WaitAsync has the sync wait's message");
        foreach (var word in f.MustContain)
            A.True(awaitedWait.Message.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0, f.Name + ": WaitAsync message contains \"" + word + "\": " + awaitedWait.Message);
    }

    public static void TestConcurrentAsyncErrorsKeepTheirOwnMessages()
    {
        // Many failing calls at once on the pool: each task's message is its own fault's, never a neighbour's
        // (a per-thread last error read on another thread would mix them up).
        var expected = new List<Tuple<Fault, Task<BiliQrException>, string>>();
        var syncMessages = new Dictionary<string, string>();
        foreach (var f in Faults)
        {
            var opt = Fake.Opt(Fake.Scenario(f.Scenario));
            string t = BiliQr.Start(opt).Ticket;
            syncMessages[f.Name] = Norm(A.Status(f.Status, () => BiliQr.Poll(t, opt), f.Name).Message, t);
            for (int i = 0; i < 6; i++)
            {
                string ti = BiliQr.Start(opt).Ticket;
                expected.Add(Tuple.Create(f, AwaitError(() => BiliQr.PollAsync(ti, opt)), ti));
            }
        }
        A.True(Task.WaitAll(expected.Select(e => (Task)e.Item2).ToArray(), 30000), "all async polls ended");
        foreach (var e in expected)
        {
            A.Eq(e.Item1.Status, e.Item2.Result.Status, e.Item1.Name + ": status");
            A.Eq(syncMessages[e.Item1.Name], Norm(e.Item2.Result.Message, e.Item3), e.Item1.Name + ": its own message");
        }
        A.True(expected.Count == 24, "24 concurrent failing calls");
    }

    public static void TestStartAndRenderAsyncErrors()
    {
        var opt = Fake.Opt(Fake.Scenario("fault=412"));
        var sync = A.Status(BiliQrStatus.ErrHttp, () => BiliQr.Start(opt), "sync start on a 412");
        var awaited = AwaitError(() => BiliQr.StartAsync(opt)).Result;
        A.Eq(sync.Message, awaited.Message, "StartAsync carries the library's message");
        var bad = opt.Clone();
        bad.TimeoutMs = 0;
        var arg = AwaitError(() => BiliQr.StartAsync(bad)).Result;
        A.Eq(BiliQrStatus.ErrArgument, arg.Status, "a bad option through StartAsync");
        A.True(arg.Message.Contains("timeout_ms"), "the message names the key: " + arg.Message);
        var render = AwaitError(() => Task.Run(() => BiliQr.Render("x", "png"))).Result;
        A.True(render.Message.Contains("png") || render.Message.Contains("format"), "Render on a pool thread: the library's message: " + render.Message);
    }
}

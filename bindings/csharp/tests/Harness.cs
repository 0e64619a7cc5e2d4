// The test harness of the C# binding's tests: a small self-made runner and the helpers every test file uses.
// Built with Mono's mcs and run with mono by tests/suites/40-csharp.sh (bindings/csharp/README.md, "Tests"):
//   every public static method named Test* of the partial class Tests is a test (run in declaration order, each
//   with a time limit); the last line printed is "N passed, N failed" (", N skipped" when a test threw
//   TestSkipped: it printed "SKIPPED name: why"); the exit code is 1 when a test failed.
// `mono BiliQrTests.exe --abi-probe` only loads the library and prints its version or the load error (the
// suite uses it with stub libraries to prove that a missing or too old library fails loudly); `--refresh-probe`
// parses a session and calls Refresh (with an ABI 2 stub: the clear "needs ABI 3" error).

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using Bilibili.QrLogin;

sealed class TestFailure : Exception
{
    public TestFailure(string m) : base(m) { }
}

/// Thrown by a test that cannot run here (it says why): reported as SKIPPED, counted apart, never as passed.
sealed class TestSkipped : Exception
{
    public TestSkipped(string m) : base(m) { }
}

sealed class Boom : Exception
{
    public Boom() : base("boom from onProgress") { }
}

/// An IProgress that reports synchronously on the waiting thread (Progress<T> would post to the thread pool).
sealed class SyncProgress<T> : IProgress<T>
{
    readonly Action<T> _a;
    public SyncProgress(Action<T> a) { _a = a; }
    public void Report(T value) { _a(value); }
}

static class Fake
{
    public static string Base; // http://127.0.0.1:PORT
    /// The fake server's refresh public key (PEM), written by --refresh-public-key-out: Options.RefreshPublicKey.
    public static string RefreshPublicKey;
    static int s_seq;

    /// A fresh scenario string: "id=<unique>,<extra>".
    public static string Scenario(string extra)
    {
        string id = "id=cs" + Interlocked.Increment(ref s_seq) + "-" + Environment.TickCount.ToString("x");
        return string.IsNullOrEmpty(extra) ? id : id + "," + extra;
    }

    /// Options for a scenario with short intervals so that tests stay fast.
    public static Options Opt(string scenario)
    {
        return new Options { BaseUrl = Base + "/s/" + scenario, PollIntervalMs = 100, TimeoutMs = 5000, WaitTimeoutMs = 20000 };
    }

    public static string Http(string method, string path)
    {
        var req = (HttpWebRequest)WebRequest.Create(Base + path);
        req.Method = method;
        req.Proxy = null;
        req.Timeout = 5000;
        req.ReadWriteTimeout = 5000;
        if (method == "POST") req.ContentLength = 0;
        using (var resp = (HttpWebResponse)req.GetResponse())
        using (var rd = new StreamReader(resp.GetResponseStream(), Encoding.UTF8))
            return rd.ReadToEnd();
    }

    /// The request records of one scenario (control requests are never logged).
    public static List<Dictionary<string, object>> Log(string scenario)
    {
        var all = (List<object>)BiliQrJson.Parse(Http("GET", "/__log"));
        var prefix = "/s/" + scenario + "/";
        return all.Cast<Dictionary<string, object>>().Where(r => ((string)r["path"]).StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }

    public static List<Dictionary<string, object>> Fetches(string scenario)
    {
        return Log(scenario).Where(r => ((string)r["path"]).EndsWith("/qrcode/auth/fetch", StringComparison.Ordinal)).ToList();
    }
}

static class A
{
    public static void True(bool cond, string what) { if (!cond) throw new TestFailure(what); }

    public static void Eq<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
            throw new TestFailure(what + ": expected <" + expected + ">, got <" + actual + ">");
    }

    public static T Throws<T>(Action a, string what) where T : Exception
    {
        try { a(); }
        catch (T e) { return e; }
        catch (Exception e) { throw new TestFailure(what + ": expected " + typeof(T).Name + ", got " + e.GetType().Name + ": " + e.Message); }
        throw new TestFailure(what + ": expected " + typeof(T).Name + ", nothing was thrown");
    }

    public static BiliQrException Status(BiliQrStatus status, Action a, string what)
    {
        var e = Throws<BiliQrException>(a, what);
        if (e.Status != status) throw new TestFailure(what + ": expected status " + status + ", got " + e.Status + " (" + e.Message + ")");
        A.True(!string.IsNullOrEmpty(e.Message), what + ": the exception has a message");
        return e;
    }
}

static class Program
{
    static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--abi-probe")
        {
            try
            {
                Console.WriteLine("loaded " + BiliQr.NativeVersion);
                return 0;
            }
            catch (Exception e)
            {
                Exception inner = e is TypeInitializationException && e.InnerException != null ? e.InnerException : e;
                Console.WriteLine(inner.GetType().Name + ": " + inner.Message);
                return 3;
            }
        }

        if (args.Length == 1 && args[0] == "--refresh-probe")
        {
            // A session from the library, then Refresh: an ABI 2 library must get a clear error, not a crash.
            try
            {
                var s = Session.Parse("SESSDATA=a; bili_jct=b; DedeUserID=1");
                BiliQr.Refresh(s);
                Console.WriteLine("refreshed");
                return 0;
            }
            catch (Exception e)
            {
                Console.WriteLine(e.GetType().Name + ": " + e.Message);
                return 3;
            }
        }

        string server = Environment.GetEnvironmentVariable("BILI_QR_FAKE_SERVER");
        if (string.IsNullOrEmpty(server)) { Console.Error.WriteLine("BILI_QR_FAKE_SERVER is not set"); return 2; }
        string keyFile = Path.Combine(Path.GetTempPath(), "biliqr-cs-key-" + Guid.NewGuid().ToString("N") + ".pem");
        var psi = new ProcessStartInfo(server, "--watch-stdin --quiet --refresh-public-key-out \"" + keyFile + "\"")
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true,
        };
        var proc = Process.Start(psi);
        int passed = 0, failed = 0, skipped = 0;
        try
        {
            var first = Task.Run(() => proc.StandardOutput.ReadLine());
            if (!first.Wait(10000) || first.Result == null || !first.Result.StartsWith("listening http://", StringComparison.Ordinal))
            {
                Console.Error.WriteLine("the fake server did not start: " + (first.IsCompleted ? first.Result : "(no line in 10 s)"));
                return 2;
            }
            Fake.Base = first.Result.Substring("listening ".Length).Trim();
            // The key file is written before the listening line.
            Fake.RefreshPublicKey = File.ReadAllText(keyFile);
            File.Delete(keyFile);
            string native;
            try { native = BiliQr.NativeVersion + " (ABI " + BiliQr.NativeAbiVersion + ")"; }
            catch (Exception e) { native = "NOT LOADED: " + e.Message; } // the tests that need it fail one by one
            Console.WriteLine("# fake server at " + Fake.Base + ", native library " + native);

            var tests = typeof(Tests).GetMethods(BindingFlags.Public | BindingFlags.Static)
                .Where(mi => mi.Name.StartsWith("Test", StringComparison.Ordinal))
                .OrderBy(mi => mi.MetadataToken)
                // Arguments: substrings of the tests to run (all when none); "-NAME" leaves out the tests named NAME.
                .Where(mi => !args.Any(a => a.StartsWith("-", StringComparison.Ordinal) && mi.Name == a.Substring(1)))
                .Where(mi => !args.Any(a => !a.StartsWith("-", StringComparison.Ordinal)) ||
                             args.Any(a => !a.StartsWith("-", StringComparison.Ordinal) && mi.Name.IndexOf(a, StringComparison.OrdinalIgnoreCase) >= 0))
                .ToList();
            foreach (var mi in tests)
            {
                Exception error = null;
                var sw = Stopwatch.StartNew();
                var t = new Thread(() =>
                {
                    try { mi.Invoke(null, null); }
                    catch (TargetInvocationException e) { error = e.InnerException; }
                    catch (Exception e) { error = e; }
                }) { IsBackground = true };
                t.Start();
                if (!t.Join(90000)) error = new TestFailure("timed out after 90 s");
                if (error is TestSkipped)
                {
                    skipped++;
                    Console.WriteLine("SKIPPED " + mi.Name + ": " + error.Message);
                }
                else if (error == null)
                {
                    passed++;
                    Console.WriteLine("ok   " + mi.Name + " (" + sw.ElapsedMilliseconds + " ms)");
                }
                else
                {
                    failed++;
                    Console.WriteLine("FAIL " + mi.Name + ": " + (error is TestFailure ? error.Message : error.ToString()));
                }
            }
        }
        finally
        {
            try { proc.StandardInput.Close(); } catch (Exception) { }
            if (!proc.WaitForExit(5000)) { try { proc.Kill(); } catch (Exception) { } }
        }
        Console.WriteLine(passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : ""));
        return failed == 0 && passed > 0 ? 0 : 1;
    }
}

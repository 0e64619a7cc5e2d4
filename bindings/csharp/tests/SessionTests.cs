// Session tests (ABI 2: check, logout, session_convert) against the fake server's v2/user and login/exit:
// login → save → check (valid) → renewal saved → logout → check (expired), file modes, bad sessions.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Bilibili.QrLogin;

static partial class Tests
{
    static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "biliqr-cs-" + Guid.NewGuid().ToString("N").Substring(0, 10));
        Directory.CreateDirectory(d);
        return d;
    }

    /// The file's permission bits, octal ("600"), from stat(1) (the test runs on Linux).
    static string Mode(string path)
    {
        var psi = new ProcessStartInfo("stat", "-c %a \"" + path + "\"") { UseShellExecute = false, RedirectStandardOutput = true };
        using (var p = Process.Start(psi))
        {
            string o = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return o;
        }
    }

    /// Options of a scenario whose api_base_url is the fake server too (v2/user lives under the same prefix).
    static Options SessionOpt(string sc)
    {
        var o = Fake.Opt(sc);
        o.ApiBaseUrl = Fake.Base + "/s/" + sc;
        return o;
    }

    static Login LoginNow(Options opt)
    {
        var qr = BiliQr.Start(opt);
        return BiliQr.Wait(qr.Ticket, opt);
    }

    public static void TestSessionLifecycle()
    {
        string sc = Fake.Scenario("flow=c,mid=31337,name=Saver,renew=1");
        var opt = SessionOpt(sc);
        var login = LoginNow(opt);
        string dir = TempDir();
        try
        {
            // save → load, both formats; files are 0600 and written whole.
            string txt = Path.Combine(dir, "cookies.txt"), json = Path.Combine(dir, "session.json");
            var session = login.ToSession();
            A.Eq<long?>(31337, session.Mid, "session mid");
            A.Eq(login.CookieHeader, session.CookieHeader, "the session keeps the login's cookies");
            session.Save(txt, SessionFormat.Netscape);
            session.Save(json);
            A.Eq("600", Mode(txt), "cookies.txt mode");
            A.Eq("600", Mode(json), "session.json mode");
            string netscape = File.ReadAllText(txt);
            A.True(netscape.StartsWith("# Netscape HTTP Cookie File", StringComparison.Ordinal), "a Netscape cookies.txt");
            A.True(netscape.Contains("#HttpOnly_") && netscape.Contains("\tSESSDATA\t"), "http-only lines and SESSDATA");
            A.True(File.ReadAllText(json).TrimStart().StartsWith("{", StringComparison.Ordinal), "a JSON session object");
            A.Eq(0, Directory.GetFiles(dir).Count(f => Path.GetFileName(f).Contains(".tmp-")), "no temporary file left");
            var fromTxt = Session.Load(txt);
            var fromJson = Session.Load(json);
            foreach (var s in new[] { fromTxt, fromJson })
            {
                A.Eq(login.GetCookie("SESSDATA").Value, s.GetCookie("SESSDATA").Value, "SESSDATA survives a save/load");
                A.Eq(login.GetCookie("bili_jct").Value, s.GetCookie("bili_jct").Value, "bili_jct survives a save/load");
                A.Eq<long?>(31337, s.Mid, "mid survives a save/load");
                A.True(!s.ToString().Contains(s.GetCookie("SESSDATA").Value), "Session.ToString hides values");
            }

            // check (valid): the fake server renews SESSDATA; the renewal is saved and read back.
            var check = BiliQr.Check(fromTxt, opt);
            A.True(check.IsValid && check.Status == BiliQrStatus.Ok, "a fresh session is valid");
            A.Eq<long?>(31337, check.Mid, "check mid");
            A.Eq("Saver", check.Name, "check name");
            A.True(check.Renewed, "renew=1: the service renewed the session");
            string newSess = check.Session.GetCookie("SESSDATA").Value;
            A.True(newSess != login.GetCookie("SESSDATA").Value, "a renewed SESSDATA");
            check.Session.Save(txt, SessionFormat.Netscape);
            A.Eq("600", Mode(txt), "the rewritten cookies.txt is still 0600");
            var renewed = Session.Load(txt);
            A.Eq(newSess, renewed.GetCookie("SESSDATA").Value, "the renewed SESSDATA was saved");
            var second = BiliQr.Check(renewed, opt);
            A.True(second.IsValid, "the renewed session is valid");
            // renew=1 renews on every check: only the session the last check handed out is live.
            A.True(second.Renewed, "renewed again");
            A.True(!BiliQr.Check(renewed, opt).IsValid, "a session that was not saved after a renewal has ended");
            renewed = second.Session;
            var users = Fake.Log(sc).Where(r => ((string)r["path"]).EndsWith("/intl/gateway/web/v2/user", StringComparison.Ordinal)).ToList();
            A.True(users.Count >= 2, "check asked v2/user: " + users.Count);
            var cookieHeader = ((Dictionary<string, object>)users.Last()["headers"])["cookie"] as string ?? "";
            A.True(cookieHeader.Contains("SESSDATA=" + newSess), "the renewed SESSDATA was sent");

            // logout → check (expired) → logout again (already ended).
            var bye = BiliQr.Logout(renewed, opt);
            A.True(bye.LoggedOut && bye.Status == BiliQrStatus.Ok, "logout ended the session: " + bye.Status + " " + bye.Code + " " + bye.Message);
            var exits = Fake.Log(sc).Where(r => ((string)r["path"]).EndsWith("/x/intl/passport-login/web/login/exit", StringComparison.Ordinal)).ToList();
            A.Eq(1, exits.Count, "one login/exit request");
            A.Eq("POST", (string)exits[0]["method"], "logout is a POST");
            A.Eq(renewed.GetCookie("bili_jct").Value, (string)((Dictionary<string, object>)exits[0]["query"])["csrf"], "csrf = bili_jct");
            var after = BiliQr.Check(renewed, opt);
            A.True(!after.IsValid && after.Status == BiliQrStatus.Expired, "after logout the session is expired");
            var again = BiliQr.Logout(renewed, opt);
            A.True(!again.LoggedOut && again.Status == BiliQrStatus.Expired, "a second logout: already logged out");
        }
        finally { Directory.Delete(dir, true); }
    }

    public static void TestSessionAsyncVariants()
    {
        string sc = Fake.Scenario("flow=c");
        var opt = SessionOpt(sc);
        var session = LoginNow(opt).ToSession();
        var check = BiliQr.CheckAsync(session, opt);
        A.True(check.Wait(10000) && check.Result.IsValid, "CheckAsync: valid");
        var logout = BiliQr.LogoutAsync(session, opt);
        A.True(logout.Wait(10000) && logout.Result.LoggedOut, "LogoutAsync: logged out");
        var expired = BiliQr.CheckAsync(session, opt);
        A.True(expired.Wait(10000) && !expired.Result.IsValid, "CheckAsync after logout: expired");
        var cts = new System.Threading.CancellationTokenSource();
        cts.Cancel();
        int before = Fake.Log(sc).Count;
        var cancelled = BiliQr.CheckAsync(session, opt, cts.Token);
        try { cancelled.Wait(2000); } catch (AggregateException) { }
        A.True(cancelled.IsCanceled, "a cancelled token: the task is cancelled");
        A.Eq(before, Fake.Log(sc).Count, "and nothing was sent");
    }

    public static void TestSessionFormats()
    {
        string sc = Fake.Scenario("flow=c,mid=4242");
        var login = LoginNow(Fake.Opt(sc));
        var s = login.ToSession();
        // A Cookie header and a cookies.txt are sessions too; the library does every format.
        var fromHeader = Session.Parse("SESSDATA=abc%2C1; bili_jct=0123456789abcdef; DedeUserID=4242");
        A.Eq<long?>(4242, fromHeader.Mid, "mid from DedeUserID");
        A.Eq("SESSDATA=abc%2C1; bili_jct=0123456789abcdef; DedeUserID=4242", fromHeader.CookieHeader, "header round-trip");
        A.Eq(s.CookieHeader, Session.Parse(s.ToText(SessionFormat.Netscape)).CookieHeader, "netscape round-trip keeps every cookie in order");
        A.Eq(s.CookieHeader, BiliQr.ConvertSession(login.ToSession().ToText(SessionFormat.Json), "header"), "json → header");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.ConvertSession(s.ToText(SessionFormat.Json), "xml"), "unknown format");
        var jar = s.ToCookieContainer();
        string header = jar.GetCookieHeader(new Uri("https://www.bilibili.tv/"));
        A.True(header.Contains("SESSDATA=" + s.GetCookie("SESSDATA").Value) && header.Contains("bili_jct="), "the CookieContainer sends the session to www.bilibili.tv");
        A.True(!jar.GetCookieHeader(new Uri("https://example.com/")).Contains("SESSDATA"), "and not to another site");
        string dir = TempDir();
        try
        {
            var missing = A.Status(BiliQrStatus.ErrArgument, () => s.Save(Path.Combine(dir, "no", "such", "dir", "s.json")), "Save into a missing folder");
            A.True(missing.Message.Contains("does not exist"), "the message says the folder does not exist: " + missing.Message);
            A.Eq(0, Directory.GetFileSystemEntries(dir).Length, "nothing written");
            string p = Path.Combine(dir, "s.json");
            File.WriteAllText(p, "old");
            s.Save(p);
            A.Eq("600", Mode(p), "Save over an existing file: 0600");
            A.Eq(s.CookieHeader, Session.Load(p).CookieHeader, "Save replaced the old content");
            A.Eq(1, Directory.GetFiles(dir).Length, "no temporary file left");
        }
        finally { Directory.Delete(dir, true); }
    }

    public static void TestBadSessions()
    {
        string sc = Fake.Scenario("flow=c");
        var opt = SessionOpt(sc);
        var garbage = new string(Enumerable.Range(0, 4096).Select(i => (char)(1 + (i * 7919) % 0xD7FF)).ToArray());
        var cases = new Dictionary<string, string>
        {
            { "empty", "" },
            { "no SESSDATA", "bili_jct=abc; DedeUserID=1" },
            { "broken JSON", "{\"cookies\":[{\"name\":\"SESSDATA\"," },
            { "binary garbage", garbage },
            { "10 MB", new string('a', 10 * 1024 * 1024) },
        };
        foreach (var kv in cases)
        {
            var e = A.Status(BiliQrStatus.ErrArgument, () => Session.Parse(kv.Value), "Session.Parse: " + kv.Key);
            A.True(e.Message.Length < 400, "a one-line message: " + kv.Key);
        }
        A.Status(BiliQrStatus.ErrArgument, () => Session.Parse(null), "a null session");
        A.Throws<ArgumentNullException>(() => BiliQr.Check(null, opt), "Check(null)");
        string dir = TempDir();
        try
        {
            string p = Path.Combine(dir, "bad.txt");
            File.WriteAllText(p, "# Netscape HTTP Cookie File\nnot a cookie line\n");
            A.Status(BiliQrStatus.ErrArgument, () => Session.Load(p), "a cookies.txt without SESSDATA");
            A.Throws<FileNotFoundException>(() => Session.Load(Path.Combine(dir, "missing.txt")), "a missing file");
        }
        finally { Directory.Delete(dir, true); }

        // A session whose bili_jct does not match: logout is ErrApi naming the csrf token; no value in the message.
        var real = LoginNow(opt).ToSession();
        var wrong = Session.Parse("SESSDATA=" + real.GetCookie("SESSDATA").Value + "; bili_jct=ffffffffffffffffffffffffffffffff; DedeUserID=" + real.Mid);
        var ex = A.Status(BiliQrStatus.ErrApi, () => BiliQr.Logout(wrong, opt), "logout with a wrong csrf");
        A.True(ex.Message.Contains("csrf") || ex.Message.Contains("bili_jct"), "the message names the csrf token: " + ex.Message);
        A.True(!ex.Message.Contains(real.GetCookie("SESSDATA").Value) && !ex.Message.Contains("ffffffffffff"), "no cookie value in the message");
        A.True(BiliQr.Check(real, opt).IsValid, "the session is still valid after a refused logout");
        var noJct = Session.Parse("SESSDATA=" + real.GetCookie("SESSDATA").Value + "; DedeUserID=" + real.Mid);
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Logout(noJct, opt), "logout without bili_jct");
    }
}

// Lenient confirmed answers: the fake server's sparse, null and empty `data` shapes still give a login
// (the three session cookies are what counts); the optional fields come back as null, and Warnings says what
// was odd. Also verify_login (Verified).

using System;
using System.Linq;
using Bilibili.QrLogin;

static partial class Tests
{
    static Login ConfirmWith(string extra, out string scenario)
    {
        scenario = Fake.Scenario("flow=c,mid=5150," + extra);
        var opt = Fake.Opt(scenario);
        var qr = BiliQr.Start(opt);
        var r = BiliQr.Poll(qr.Ticket, opt);
        A.Eq(BiliQrStatus.Ok, r.Status, extra + ": confirmed");
        A.True(r.Login != null, extra + ": a login");
        return r.Login;
    }

    public static void TestConfirmedPollObjectV2()
    {
        string sc;
        var login = ConfirmWith("name=Full,foreign=1", out sc);
        // The fake server's normal answer carries one cookie for a foreign domain (ad_track): dropped, and said so.
        A.True(login.Warnings.Count >= 1 && login.Warnings.Any(w => w.Contains("evil.example.com")),
               "a warning names the dropped foreign domain: " + string.Join(" | ", login.Warnings));
        foreach (var w in login.Warnings)
            A.True(login.Cookies.All(c => c.Value.Length < 6 || !w.Contains(c.Value)), "no cookie value in a warning: " + w);
        A.Eq("127.0.0.1", login.Host, "host is the base_url host");
        A.True(login.Verified == null, "verified is absent without verify_login");
        A.Eq<bool?>(false, login.IsNew, "is_new as sent");
        A.Eq("Full", login.UserProfile.Name, "the profile as sent");
        A.Eq<bool?>(false, login.UserProfile.IsBlankProfile, "is_userBlankProfile as sent");
    }

    public static void TestNullFieldsGiveALogin()
    {
        foreach (var shape in new[] { "confirm=nulls", "confirm=empty", "confirm=sparse" })
        {
            string sc;
            var login = ConfirmWith(shape, out sc);
            A.Eq<long?>(5150, login.Mid, shape + ": mid from data.mid or the DedeUserID cookie");
            A.True(login.GetCookie("SESSDATA") != null && login.GetCookie("bili_jct") != null && login.GetCookie("DedeUserID") != null,
                   shape + ": the three session cookies");
            A.True(login.IsNew == null, shape + ": is_new is null");
            A.True(login.GoUrl == null, shape + ": go_url is null");
            A.True(login.UserProfile == null || login.UserProfile.Name == null, shape + ": no profile name");
            A.True(login.Warnings.Count > 0, shape + ": warnings say what was odd");
            foreach (var w in login.Warnings)
                A.True(!w.Contains(login.GetCookie("SESSDATA").Value) && !w.Contains(login.GetCookie("bili_jct").Value), shape + ": no cookie value in a warning");
            A.True(login.ToString().Contains("mid=5150"), shape + ": ToString copes with nulls: " + login);
        }
    }

    public static void TestOddShapesStillLogIn()
    {
        // A string code, Set-Cookie lines folded into one, the credentials only in go_url's query (its page gone).
        foreach (var shape in new[] { "codestr=1", "folded=1,longsess=1", "gourl=query" })
        {
            string sc;
            var login = ConfirmWith(shape, out sc);
            A.Eq<long?>(5150, login.Mid, shape + ": mid");
            foreach (var name in new[] { "SESSDATA", "bili_jct", "DedeUserID" })
                A.True(login.GetCookie(name) != null, shape + ": has " + name);
            A.True(login.CookieHeader.Contains("SESSDATA=" + login.GetCookie("SESSDATA").Value), shape + ": cookie_header has SESSDATA");
        }
    }

    public static void TestVerifyLogin()
    {
        string sc = Fake.Scenario("flow=c");
        var opt = Fake.Opt(sc);
        opt.ApiBaseUrl = Fake.Base + "/s/" + sc;
        opt.VerifyLogin = true;
        var qr = BiliQr.Start(opt);
        var login = BiliQr.Wait(qr.Ticket, opt);
        A.Eq<bool?>(true, login.Verified, "verify_login: the service accepted the new session");
        A.True(Fake.Log(sc).Any(r => ((string)r["path"]).EndsWith("/intl/gateway/web/v2/user", StringComparison.Ordinal)), "v2/user was asked");

        string down = Fake.Scenario("flow=c,verify=down");
        var dopt = Fake.Opt(down);
        dopt.ApiBaseUrl = Fake.Base + "/s/" + down;
        dopt.VerifyLogin = true;
        var dl = BiliQr.Wait(BiliQr.Start(dopt).Ticket, dopt);
        A.Eq<bool?>(false, dl.Verified, "verify=down: could not be asked, the login is kept");
        A.True(dl.Warnings.Count > 0, "and a warning says so");

        string reject = Fake.Scenario("flow=c,verify=reject");
        var ropt = Fake.Opt(reject);
        ropt.ApiBaseUrl = Fake.Base + "/s/" + reject;
        ropt.VerifyLogin = true;
        A.Status(BiliQrStatus.ErrProtocol, () => BiliQr.Wait(BiliQr.Start(ropt).Ticket, ropt), "verify=reject: the service refuses the session");
    }
}

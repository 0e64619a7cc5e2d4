// Mainland site (ABI 3) against the fake server's bilibili.com routes, with the test RSA key the server wrote
// (--refresh-public-key-out, Fake.RefreshPublicKey): the whole web round trip (login → save → check → refresh →
// save → confirm → check new valid / old expired → logout → check expired), a refresh never confirmed loses
// nothing, refresh errors (typed, nothing sent, no secret in a message), the async forms; and the TV token round
// trip, SKIPPED while the binding's Options or the library do not know the option flow.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using Bilibili.QrLogin;

static partial class Tests
{
    /// Options of a mainland scenario: every base URL at the fake server, the server's refresh key.
    static Options MainOpt(string sc)
    {
        string origin = Fake.Base + "/s/" + sc;
        return new Options
        {
            Site = "main", BaseUrl = origin, ApiBaseUrl = origin, WwwBaseUrl = origin, RefreshPublicKey = Fake.RefreshPublicKey,
            PollIntervalMs = 100, TimeoutMs = 5000, WaitTimeoutMs = 20000,
        };
    }

    static List<Dictionary<string, object>> Requests(string sc, string pathEnd)
    {
        return Fake.Log(sc).Where(r => ((string)r["path"]).EndsWith(pathEnd, StringComparison.Ordinal)).ToList();
    }

    static string Form(Dictionary<string, object> record, string key)
    {
        var form = record["form"] as Dictionary<string, object>;
        object v = null;
        if (form != null) form.TryGetValue(key, out v);
        return v as string;
    }

    static bool IsHex32(string s)
    {
        return s != null && s.Length == 32 && s.All(c => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

    static Session LoginMain(string sc, out Login login)
    {
        var opt = MainOpt(sc);
        var qr = BiliQr.Start(opt);
        A.Eq("main", qr.Site, "start: the mainland site");
        A.Eq("main_web", qr.QrType, "start: the web QR type");
        login = BiliQr.Wait(qr.Ticket, opt);
        return login.ToSession();
    }

    public static void TestMainlandRoundTrip()
    {
        string sc = Fake.Scenario("flow=c,mid=9527,name=Mainlander,refresh=1");
        var opt = MainOpt(sc);
        Login login;
        var session = LoginMain(sc, out login);
        A.Eq("main", login.Site, "login site");
        A.True(IsHex32(login.RefreshToken), "the login's refresh token (data.refresh_token, 32 hex)");
        A.True(login.Token == null && login.Flow == null, "a web login has no token pair");
        A.Eq<long?>(9527, login.Mid, "login mid");
        A.Eq("main", session.Site, "session site");
        A.Eq(login.RefreshToken, session.RefreshToken, "the session keeps the refresh token");
        A.True(session.PreviousRefreshToken == null && !session.NeedsConfirm, "a fresh login needs no confirmation");
        string oldSess = session.GetCookie("SESSDATA").Value, oldJct = session.GetCookie("bili_jct").Value, oldToken = session.RefreshToken;
        A.True(!session.ToString().Contains(oldToken) && !session.ToString().Contains(oldSess), "Session.ToString hides the tokens and cookies");

        string dir = TempDir();
        try
        {
            // save (the JSON form, and a cookies.txt: both keep the refresh token) → load.
            string json = Path.Combine(dir, "session.json"), txt = Path.Combine(dir, "cookies.txt");
            session.Save(json);
            session.Save(txt, SessionFormat.Netscape);
            A.Eq("600", Mode(json), "session.json mode");
            A.Eq("600", Mode(txt), "cookies.txt mode");
            var saved = Session.Load(json);
            A.Eq(oldToken, saved.RefreshToken, "the refresh token survives a JSON save/load");
            A.Eq("main", saved.Site, "the site survives a save/load");
            A.Eq(oldToken, Session.Load(txt).RefreshToken, "the refresh token survives a cookies.txt save/load");
            A.True(!Session.Load(txt).CookieHeader.Contains(oldToken), "the token is never a cookie of the header");

            // check (valid): nav, then cookie/info (refresh=1: the service asks for a refresh).
            var check = BiliQr.Check(saved, opt);
            A.True(check.IsValid, "a fresh mainland session is valid");
            A.Eq("main", check.Site, "check site");
            A.Eq(null, check.Flow, "a web session's check has no flow");
            A.Eq("Mainlander", check.Name, "check name (nav uname)");
            A.Eq<bool?>(true, check.RefreshNeeded, "refresh=1: cookie/info says a refresh is due");
            A.Eq(oldToken, check.RefreshToken, "check hands the refresh token back");
            A.Eq(oldToken, check.Session.RefreshToken, "and its session keeps it");
            A.Eq(1, Requests(sc, "/x/web-interface/nav").Count, "check asked nav once");

            // refresh: new cookies and token; the old session is not retired yet.
            var refreshed = BiliQr.Refresh(saved, opt);
            A.Eq("main", refreshed.Site, "refreshed site");
            A.True(IsHex32(refreshed.RefreshToken) && refreshed.RefreshToken != oldToken, "a new refresh token");
            A.Eq(oldToken, refreshed.PreviousRefreshToken, "previous_refresh_token is the old token");
            A.True(refreshed.NeedsConfirm, "a refreshed session needs its confirmation");
            A.True(refreshed.GetCookie("SESSDATA").Value != oldSess, "a new SESSDATA");
            string newJct = refreshed.GetCookie("bili_jct").Value;
            A.True(newJct != oldJct, "a new bili_jct");
            A.Eq(0, refreshed.Warnings.Count, "no warnings: " + string.Join(" | ", refreshed.Warnings));
            var posts = Requests(sc, "/x/passport-login/web/cookie/refresh");
            A.Eq(1, posts.Count, "one cookie/refresh request");
            A.Eq(oldToken, Form(posts[0], "refresh_token"), "the refresh sent the old refresh token");
            A.Eq(oldJct, Form(posts[0], "csrf"), "the refresh's csrf is the old bili_jct");
            A.Eq(1, Fake.Log(sc).Count(r => ((string)r["path"]).Contains("/correspond/1/")), "one correspond page was asked");

            // save the refreshed session (it keeps both tokens) → load → confirm.
            refreshed.Save(json);
            A.Eq("600", Mode(json), "the refreshed session file is still 0600");
            var reloaded = Session.Load(json);
            A.Eq(refreshed.RefreshToken, reloaded.RefreshToken, "the new token survives a save/load");
            A.Eq(oldToken, reloaded.PreviousRefreshToken, "the previous token survives a save/load");
            A.True(BiliQr.Check(saved, opt).IsValid, "before the confirmation the old session still works");
            int before = Fake.Log(sc).Count;
            A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Refresh(reloaded, opt), "refreshing an unconfirmed session");
            A.Eq(before, Fake.Log(sc).Count, "and nothing was sent");

            var confirmed = BiliQr.RefreshConfirm(reloaded, opt);
            A.True(!confirmed.NeedsConfirm && confirmed.PreviousRefreshToken == null, "the confirmed session has no previous token");
            A.Eq(refreshed.RefreshToken, confirmed.RefreshToken, "and keeps the new token");
            A.Eq(refreshed.CookieHeader, confirmed.CookieHeader, "and the new cookies");
            var confirms = Requests(sc, "/x/passport-login/web/confirm/refresh");
            A.Eq(1, confirms.Count, "one confirm/refresh request");
            A.Eq(newJct, Form(confirms[0], "csrf"), "the confirmation's csrf is the new bili_jct");
            A.Eq(oldToken, Form(confirms[0], "refresh_token"), "the confirmation names the old token");
            confirmed.Save(json);
            var current = Session.Load(json);
            A.True(!current.NeedsConfirm, "the saved confirmed session needs nothing more");
            A.Status(BiliQrStatus.ErrArgument, () => BiliQr.RefreshConfirm(current, opt), "confirming twice (no previous token)");

            // check: the new session is valid, the old one has ended.
            var now = BiliQr.Check(current, opt);
            A.True(now.IsValid, "the new session is valid");
            A.Eq(confirmed.RefreshToken, now.RefreshToken, "check: the new refresh token");
            var old = BiliQr.Check(saved, opt);
            A.True(!old.IsValid && old.Status == BiliQrStatus.Expired, "the old session was retired by the confirmation");
            A.True(old.RefreshNeeded == null, "an ended session: refresh_needed unknown");
            A.Status(BiliQrStatus.Expired, () => BiliQr.Refresh(saved, opt), "refreshing the retired session: Expired");

            // logout → check (expired).
            var bye = BiliQr.Logout(current, opt);
            A.True(bye.LoggedOut, "logout ended the new session: " + bye.Status + " " + bye.Message);
            var exits = Requests(sc, "/login/exit/v2");
            A.Eq(1, exits.Count, "one login/exit/v2 request");
            A.Eq(newJct, Form(exits[0], "biliCSRF"), "logout's biliCSRF is the new bili_jct");
            var after = BiliQr.Check(current, opt);
            A.True(!after.IsValid && after.Status == BiliQrStatus.Expired, "after logout the session is expired");

            // No secret in any text the binding shows.
            foreach (var s in new[] { session.ToString(), refreshed.ToString(), confirmed.ToString(), check.ToString(), login.ToString() })
                foreach (var secret in new[] { oldToken, refreshed.RefreshToken, oldSess, newJct })
                    A.True(!s.Contains(secret), "no secret in " + s);
        }
        finally { Directory.Delete(dir, true); }
    }

    public static void TestMainlandRefreshWithoutConfirmLosesNothing()
    {
        string sc = Fake.Scenario("flow=c,mid=777");
        var opt = MainOpt(sc);
        Login login;
        var session = LoginMain(sc, out login);
        string dir = TempDir();
        try
        {
            string file = Path.Combine(dir, "session.json");
            session.Save(file);
            // A refresh whose result is lost (a crash before it was saved): the file still holds a working session.
            var lost = BiliQr.Refresh(Session.Load(file), opt);
            A.True(lost.NeedsConfirm, "the lost refresh was not confirmed");
            var saved = Session.Load(file);
            A.True(BiliQr.Check(saved, opt).IsValid, "the saved session still works after an unconfirmed refresh");
            A.True(BiliQr.Check(lost, opt).IsValid, "and so does the unsaved new one (both live until a confirmation)");
            A.Eq(0, Requests(sc, "/x/passport-login/web/confirm/refresh").Count, "nothing was confirmed");

            // Starting over from the file works: refresh again, save, confirm.
            var again = saved.Refresh(opt); // Session.Refresh / RefreshConfirm: the BiliQr calls on this session
            A.True(again.RefreshToken != lost.RefreshToken, "a second refresh gives another token");
            again.Save(file);
            var confirmed = Session.Load(file).RefreshConfirm(opt);
            confirmed.Save(file);
            A.True(BiliQr.Check(Session.Load(file), opt).IsValid, "the confirmed session is valid");
            A.True(!BiliQr.Check(session, opt).IsValid, "the original session is retired by the confirmation");
        }
        finally { Directory.Delete(dir, true); }
    }

    public static void TestMainlandRefreshErrors()
    {
        // An intl session: no refresh flow is known for bilibili.tv; nothing is sent.
        string isc = Fake.Scenario("flow=c");
        var iopt = SessionOpt(isc);
        var intl = LoginNow(iopt).ToSession();
        A.True(intl.Site == null && intl.RefreshToken == null, "an intl session has no site and no refresh token");
        int before = Fake.Log(isc).Count;
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Refresh(intl, iopt), "refreshing a bilibili.tv session");
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.RefreshConfirm(intl, iopt), "confirming a bilibili.tv session");
        A.Eq(before, Fake.Log(isc).Count, "nothing was sent");
        A.Throws<ArgumentNullException>(() => BiliQr.Refresh(null, iopt), "Refresh(null)");
        A.Throws<ArgumentNullException>(() => BiliQr.RefreshConfirm(null, iopt), "RefreshConfirm(null)");

        // A mainland session without its refresh token (a Cookie header): ErrArgument, nothing sent.
        string sc = Fake.Scenario("flow=c,refresh86095=1");
        var opt = MainOpt(sc);
        Login login;
        var session = LoginMain(sc, out login);
        var bare = Session.Parse("SESSDATA=" + session.GetCookie("SESSDATA").Value + "; bili_jct=" + session.GetCookie("bili_jct").Value + "; DedeUserID=" + session.Mid);
        before = Fake.Log(sc).Count;
        A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Refresh(bare, opt), "a session without a refresh token");
        A.Eq(before, Fake.Log(sc).Count, "nothing was sent");

        // 86095 (the service refuses the token): ErrApi saying so, no secret in the message, the old session lives.
        var e = A.Status(BiliQrStatus.ErrApi, () => BiliQr.Refresh(session, opt), "refresh86095=1");
        A.True(e.Message.Contains("86095"), "the message names the code: " + e.Message);
        foreach (var secret in new[] { session.RefreshToken, session.GetCookie("SESSDATA").Value, session.GetCookie("bili_jct").Value })
            A.True(!e.Message.Contains(secret), "no secret in the message");
        A.True(BiliQr.Check(session, opt).IsValid, "the session still works after a refused refresh");

        // A wrong refresh key: the correspond page answers 404 (ErrHttp saying so); the session still works.
        string ksc = Fake.Scenario("flow=c,correspond=404");
        var kopt = MainOpt(ksc);
        var ks = LoginMain(ksc, out login);
        var he = A.Status(BiliQrStatus.ErrHttp, () => BiliQr.Refresh(ks, kopt), "correspond=404");
        A.True(he.Message.Contains("404") && he.Message.Contains("correspond"), "the message names the correspond page: " + he.Message);
        A.True(BiliQr.Check(ks, kopt).IsValid, "the session still works after a failed refresh");

        // Not a key at all: ErrArgument naming the option, nothing sent.
        var bad = MainOpt(ksc);
        bad.RefreshPublicKey = "not a key";
        before = Fake.Log(ksc).Count;
        var ae = A.Status(BiliQrStatus.ErrArgument, () => BiliQr.Refresh(ks, bad), "a refresh_public_key that is no key");
        A.True(ae.Message.Contains("refresh_public_key"), "the message names the option: " + ae.Message);
        A.Eq(before, Fake.Log(ksc).Count, "nothing was sent");

        // An ended session: Expired.
        A.True(BiliQr.Logout(ks, kopt).LoggedOut, "logout");
        A.Status(BiliQrStatus.Expired, () => BiliQr.Refresh(ks, kopt), "refreshing an ended session");
    }

    public static void TestMainlandRefreshAsync()
    {
        string sc = Fake.Scenario("flow=c");
        var opt = MainOpt(sc);
        Login login;
        var session = LoginMain(sc, out login);
        var refreshed = BiliQr.RefreshAsync(session, opt);
        A.True(refreshed.Wait(10000) && refreshed.Result.NeedsConfirm, "RefreshAsync: a refreshed session");
        var confirmed = BiliQr.RefreshConfirmAsync(refreshed.Result, opt);
        A.True(confirmed.Wait(10000) && !confirmed.Result.NeedsConfirm, "RefreshConfirmAsync: confirmed");
        A.True(BiliQr.Check(confirmed.Result, opt).IsValid, "the confirmed session is valid");
        A.True(!BiliQr.Check(session, opt).IsValid, "the old one has ended");

        // An error from the thread pool carries the library's message and status.
        var failing = BiliQr.RefreshConfirmAsync(confirmed.Result, opt);
        try { failing.Wait(10000); throw new TestFailure("RefreshConfirmAsync of a confirmed session did not fail"); }
        catch (AggregateException ae)
        {
            var be = ae.InnerException as BiliQrException;
            A.True(be != null && be.Status == BiliQrStatus.ErrArgument, "ErrArgument from the task: " + ae.InnerException);
            var sync = A.Status(BiliQrStatus.ErrArgument, () => BiliQr.RefreshConfirm(confirmed.Result, opt), "the same call, synchronously");
            A.Eq(sync.Message, be.Message, "the awaited message equals the synchronous one");
        }

        // A cancelled token: the task is cancelled and nothing is sent.
        var cts = new CancellationTokenSource();
        cts.Cancel();
        int before = Fake.Log(sc).Count;
        var cancelled = BiliQr.RefreshAsync(confirmed.Result, opt, cts.Token);
        try { cancelled.Wait(2000); } catch (AggregateException) { }
        A.True(cancelled.IsCanceled, "RefreshAsync with a cancelled token is cancelled");
        var cancelled2 = BiliQr.RefreshConfirmAsync(refreshed.Result, opt, cts.Token);
        try { cancelled2.Wait(2000); } catch (AggregateException) { }
        A.True(cancelled2.IsCanceled, "RefreshConfirmAsync with a cancelled token is cancelled");
        A.Eq(before, Fake.Log(sc).Count, "and nothing was sent");
    }

    /// Options of the TV token login, or SKIPPED when the binding's Options or the library do not know flow yet.
    static Options TvOpt(string sc)
    {
        var opt = MainOpt(sc);
        PropertyInfo flow = typeof(Options).GetProperty("Flow");
        if (flow == null)
            throw new TestSkipped("the binding's Options has no Flow yet (generated from abi/bili_qr.toml once the library has the option flow)");
        flow.SetValue(opt, "tv");
        try
        {
            BiliQr.Start(opt); // the probe: an auth code nobody polls
        }
        catch (BiliQrException e)
        {
            if (e.Status == BiliQrStatus.ErrArgument && e.Message.Contains("flow"))
                throw new TestSkipped("the native library does not know the option flow: " + e.Message);
            throw;
        }
        return opt;
    }

    public static void TestTvTokenRoundTrip()
    {
        string sc = Fake.Scenario("flow=c,mid=4096");
        var opt = TvOpt(sc);
        var qr = BiliQr.Start(opt);
        A.Eq("main", qr.Site, "TV start: the mainland site");
        A.Eq("main_tv", qr.QrType, "TV start: the TV QR type");
        var login = BiliQr.Wait(qr.Ticket, opt);
        A.Eq("tv", login.Flow, "login flow");
        A.Eq("main", login.Site, "login site");
        A.True(login.Token != null && IsHex32(login.Token.AccessToken) && IsHex32(login.Token.RefreshToken), "the token pair");
        A.True(login.Token.ExpiresAt.HasValue && login.Token.ExpiresAtUtc.Value.Year >= 2020, "expires_at");
        A.True(login.RefreshToken == null, "no top-level refresh_token (that is the web login's)");
        A.Eq<long?>(4096, login.Mid, "login mid");
        string access = login.Token.AccessToken, refreshTok = login.Token.RefreshToken;
        A.True(!login.Token.ToString().Contains(access) && !login.Token.ToString().Contains(refreshTok), "SessionToken.ToString hides the tokens");

        string dir = TempDir();
        try
        {
            // save (JSON: the one form that keeps the token) → load.
            string file = Path.Combine(dir, "tv.json");
            var session = login.ToSession();
            A.Eq("tv", session.Flow, "session flow");
            session.Save(file);
            A.Eq("600", Mode(file), "tv.json mode");
            var saved = Session.Load(file);
            A.Eq(access, saved.Token.AccessToken, "the access token survives a save/load");
            A.Eq(refreshTok, saved.Token.RefreshToken, "the refresh token survives a save/load");
            A.True(!session.ToText(SessionFormat.Netscape).Contains(access), "a cookies.txt never holds the token");

            // check: oauth2/info with the access token (no flow needed: the session says what it is).
            var sopt = MainOpt(sc);
            var check = BiliQr.Check(saved, sopt);
            A.True(check.IsValid, "the token session is valid");
            A.Eq<bool?>(false, check.RefreshNeeded, "oauth2/info: no refresh due");
            A.Eq(access, check.Token.AccessToken, "check hands the token back");
            A.Eq("tv", check.Flow, "check flow (the README: Flow on Login, Session and CheckResult)");
            var infos = Requests(sc, "/x/passport-login/oauth2/info");
            A.Eq(1, infos.Count, "one oauth2/info request");

            // refresh: a new pair, no confirmation step.
            var renewed = BiliQr.Refresh(saved, sopt);
            A.True(renewed.Token != null && renewed.Token.AccessToken != access && renewed.Token.RefreshToken != refreshTok, "a new token pair");
            A.True(!renewed.NeedsConfirm && renewed.PreviousRefreshToken == null, "a token refresh needs no confirmation");
            A.Status(BiliQrStatus.ErrArgument, () => BiliQr.RefreshConfirm(renewed, sopt), "RefreshConfirm of a token session");
            var posts = Requests(sc, "/x/passport-login/oauth2/refresh_token");
            A.Eq(1, posts.Count, "one oauth2/refresh_token request");
            A.Eq(refreshTok, Form(posts[0], "refresh_token"), "the refresh sent the old refresh token");
            renewed.Save(file);
            A.Eq("600", Mode(file), "the renewed tv.json is still 0600");
            var current = Session.Load(file);

            // The old token works until the new one is used; then only the new one.
            A.True(BiliQr.Check(saved, sopt).IsValid, "the old token still works before the new one is used");
            A.True(BiliQr.Check(current, sopt).IsValid, "the new token is valid");
            var old = BiliQr.Check(saved, sopt);
            A.True(!old.IsValid && old.Status == BiliQrStatus.Expired, "the old token is retired once the new one was used");

            // logout ends the web cookies (no token revocation is known): they check expired as a web session.
            var bye = BiliQr.Logout(current, sopt);
            A.True(bye.LoggedOut, "logout: " + bye.Status + " " + bye.Message);
            var web = Session.Parse(current.CookieHeader);
            A.True(!BiliQr.Check(web, sopt).IsValid, "after logout the web cookies are expired");
        }
        finally { Directory.Delete(dir, true); }
    }
}

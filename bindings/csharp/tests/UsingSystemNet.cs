// Compiled (not run) by tests/suites/40-csharp.sh: both namespaces imported together must compile, so the
// binding has no type named like one of System.Net's (its cookie type is SessionCookie, not Cookie).
using System.Net;
using Bilibili.QrLogin;

static class UsingSystemNetCompiles
{
    static Cookie NetCookie() { return new Cookie("a", "b"); }
    static SessionCookie First(Session s) { return s.Cookies[0]; }
    static Options Opt() { return new Options { BaseUrl = "http://127.0.0.1:1" }; }
    static WebClient Client() { return new WebClient(); }
    static BiliQrStatus Status() { return BiliQrStatus.Ok; }
    static SessionToken Token(Session s) { return s.Token; }
    static Session Refreshed(Session s) { return BiliQr.RefreshConfirm(BiliQr.Refresh(s, new Options { Site = "main" })); }
}

// The smoke program of the NuGet package test (tests/suites/40-csharp.sh): compiled against the BiliQr.dll
// unpacked from the .nupkg into a clean directory outside the repository, run with only the package's
// runtimes/linux-x64/native on the library path; logs in against the fake server at args[0] and checks the session.
using System;
using Bilibili.QrLogin;

static class PackageSmoke
{
    static int Main(string[] args)
    {
        var opt = new Options { BaseUrl = args[0] + "/s/id=nupkg,flow=wsc,mid=8080", PollIntervalMs = 100, TimeoutMs = 5000, WaitTimeoutMs = 20000 };
        var qr = BiliQr.Start(opt);
        var login = BiliQr.WaitAsync(qr.Ticket, opt).Result;
        var session = login.ToSession();
        var check = BiliQr.Check(session, new Options { ApiBaseUrl = args[0] + "/s/id=nupkg", TimeoutMs = 5000 });
        if (login.Mid != 8080 || session.GetCookie("SESSDATA") == null || !check.IsValid) { Console.WriteLine("unexpected login: " + login); return 1; }
        Console.WriteLine("logged in: mid " + login.Mid + " (session checked valid), " + login.Cookies.Count + " cookies, library " + BiliQr.NativeVersion +
                          " (ABI " + BiliQr.NativeAbiVersion + "), binding " + typeof(BiliQr).Assembly.GetName().Version);
        return 0;
    }
}

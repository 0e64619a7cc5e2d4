// The smoke program of the NuGet package test (tests/suites/40-csharp.sh): compiled against the BiliQr.dll
// unpacked from the .nupkg into a clean directory outside the repository, run with only the package's
// runtimes/linux-x64/native on the library path; logs in against the fake server at args[0].
using System;
using Bilibili.QrLogin;

static class PackageSmoke
{
    static int Main(string[] args)
    {
        var opt = new Options { BaseUrl = args[0] + "/s/id=nupkg,flow=wsc,mid=8080", PollIntervalMs = 100, TimeoutMs = 5000, WaitTimeoutMs = 20000 };
        var qr = BiliQr.Start(opt);
        var login = BiliQr.WaitAsync(qr.Ticket, opt).Result;
        if (login.Mid != 8080 || login.GetCookie("SESSDATA") == null) { Console.WriteLine("unexpected login: " + login); return 1; }
        Console.WriteLine("logged in: mid " + login.Mid + ", " + login.Cookies.Count + " cookies, library " + BiliQr.NativeVersion +
                          " (ABI " + BiliQr.NativeAbiVersion + "), binding " + typeof(BiliQr).Assembly.GetName().Version);
        return 0;
    }
}

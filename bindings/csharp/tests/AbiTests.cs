// The binding against the contract: its generated status codes and options against the library loaded, and its
// version against the root Cargo.toml (found under $BILI_QR_ROOT, set by tests/run-all.sh and the suite).

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using Bilibili.QrLogin;

static partial class Tests
{
    static string RepoFile(string relative)
    {
        string root = Environment.GetEnvironmentVariable("BILI_QR_ROOT");
        if (string.IsNullOrEmpty(root)) throw new TestFailure("BILI_QR_ROOT is not set (the repository root)");
        string p = Path.Combine(root, relative);
        A.True(File.Exists(p), "file exists: " + p);
        return p;
    }

    /// The version of the workspace ([workspace.package] version, else [package] version) in the root Cargo.toml.
    internal static string CargoVersion()
    {
        string section = null, workspace = null, package = null;
        foreach (var raw in File.ReadAllLines(RepoFile("Cargo.toml")))
        {
            string line = raw.Trim();
            if (line.StartsWith("[", StringComparison.Ordinal)) { section = line; continue; }
            var m = Regex.Match(line, "^version\\s*=\\s*\"([^\"]+)\"");
            if (!m.Success) continue;
            if (section == "[workspace.package]" && workspace == null) workspace = m.Groups[1].Value;
            if (section == "[package]" && package == null) package = m.Groups[1].Value;
        }
        string v = workspace ?? package;
        A.True(v != null && Regex.IsMatch(v, @"^\d+\.\d+\.\d+$"), "a version in Cargo.toml: " + v);
        return v;
    }

    // The binding's generated copy of the contract (src/Generated.cs, from abi/bili_qr.toml) against the library
    // actually loaded. No network: options are checked before anything is sent.

    public static void TestEveryStatusHasTheLibrarysPhrase()
    {
        var phrases = new HashSet<string>();
        foreach (BiliQrStatus status in Enum.GetValues(typeof(BiliQrStatus)))
        {
            string phrase = BiliQr.StatusText(status);
            A.True(phrase != "unknown status", "the library knows " + status);
            phrases.Add(phrase);
        }
        A.Eq(Enum.GetValues(typeof(BiliQrStatus)).Length, phrases.Count, "one phrase per status");
    }

    public static void TestEveryIntegerOptionIsOneTheLibraryChecks()
    {
        // -1 is out of range for every integer option: the library names the key, so it knows it.
        int seen = 0;
        foreach (var p in typeof(Options).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.PropertyType != typeof(int?)) continue;
            var o = new Options();
            p.SetValue(o, (int?)(-1));
            string key = o.ToJson().Split('"')[1];
            try
            {
                BiliQr.Start(o);
                throw new TestFailure(p.Name + " = -1 was accepted");
            }
            catch (BiliQrException e)
            {
                A.Eq(BiliQrStatus.ErrArgument, e.Status, p.Name);
                A.True(e.Message.Contains(key) && !e.Message.Contains("unknown option"), p.Name + ": " + e.Message);
            }
            seen++;
        }
        A.True(seen >= 4, "the integer options were found: " + seen);
    }

    public static void TestVersionFromOneSource()
    {
        string cargo = CargoVersion();
        A.Eq(cargo, BiliQr.NativeVersion, "bili_qr_version() of the library under test");
        var asm = typeof(BiliQr).Assembly;
        A.Eq(cargo + ".0", asm.GetName().Version.ToString(), "AssemblyVersion of the binding (generated from Cargo.toml)");
        var info = (AssemblyInformationalVersionAttribute)Attribute.GetCustomAttribute(asm, typeof(AssemblyInformationalVersionAttribute));
        A.True(info != null && info.InformationalVersion == cargo, "AssemblyInformationalVersion is " + cargo);
        var csproj = File.ReadAllText(RepoFile("bindings/csharp/BiliQr.csproj"));
        var m = Regex.Match(csproj, "<Version>([^<]+)</Version>");
        A.True(m.Success, "BiliQr.csproj has a <Version>");
        A.Eq(cargo, m.Groups[1].Value, "BiliQr.csproj <Version>");
    }

    public static void TestNoPublicTypeNamedLikeSystemNets()
    {
        // `using System.Net;` beside `using Bilibili.QrLogin;` must never make a name ambiguous (Cookie, Cookie-
        // Container, WebClient, …): no public type of the binding has the name of a public System.Net type.
        var net = new HashSet<string>(typeof(System.Net.Cookie).Assembly.GetExportedTypes()
            .Concat(typeof(object).Assembly.GetExportedTypes())
            .Where(t => t.Namespace == "System.Net").Select(t => t.Name));
        A.True(net.Contains("Cookie") && net.Contains("WebClient"), "System.Net's types were found: " + net.Count);
        var ours = typeof(BiliQr).Assembly.GetExportedTypes().Select(t => t.Name).ToList();
        A.True(ours.Contains("SessionToken") && ours.Contains("Session"), "the binding's public types were found");
        var clash = ours.Where(net.Contains).ToList();
        A.Eq(0, clash.Count, "public types named like System.Net's: " + string.Join(", ", clash));
    }
}

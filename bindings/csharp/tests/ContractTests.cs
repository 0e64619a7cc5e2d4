// Contract tests: the binding's copies of the ABI's facts (status codes, option names, version) are compared
// with their one source (include/bili_qr.h, the root Cargo.toml), so a change there fails here until the binding
// follows. Files are found under $BILI_QR_ROOT (set by tests/run-all.sh and the suite).

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

    static string HeaderText()
    {
        string inc = Environment.GetEnvironmentVariable("BILI_QR_INCLUDE");
        string p = !string.IsNullOrEmpty(inc) ? Path.Combine(inc, "bili_qr.h") : RepoFile("include/bili_qr.h");
        return File.ReadAllText(p);
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

    static string CamelCase(string upperSnake)
    {
        return string.Concat(upperSnake.Split('_').Select(p => p.Substring(0, 1) + p.Substring(1).ToLowerInvariant()));
    }

    public static void TestStatusCodesMatchHeader()
    {
        var header = new Dictionary<string, int>();
        foreach (Match m in Regex.Matches(HeaderText(), @"^#define BILI_QR_([A-Z_]+) (-?\d+)\s*$", RegexOptions.Multiline))
        {
            string name = m.Groups[1].Value;
            if (name.StartsWith("VERSION_", StringComparison.Ordinal) || name == "ABI_VERSION") continue;
            header[CamelCase(name)] = int.Parse(m.Groups[2].Value);
        }
        A.True(header.Count >= 12, "the header defines the status codes (found " + header.Count + ")");
        var binding = Enum.GetValues(typeof(BiliQrStatus)).Cast<BiliQrStatus>().ToDictionary(s => s.ToString(), s => (int)s);
        foreach (var kv in header)
        {
            A.True(binding.ContainsKey(kv.Key), "BiliQrStatus has " + kv.Key + " (BILI_QR_ in the header)");
            A.Eq(kv.Value, binding[kv.Key], "value of " + kv.Key);
        }
        foreach (var kv in binding) A.True(header.ContainsKey(kv.Key), "the header defines BiliQrStatus." + kv.Key);
    }

    public static void TestOptionNamesMatchHeader()
    {
        // The header's option table: " *   base_url          string  ..." (name, then its JSON type).
        var header = new HashSet<string>();
        foreach (Match m in Regex.Matches(HeaderText(), @"^\s*\*\s+([a-z][a-z_]*)\s+(string|integer|bool|boolean)\b", RegexOptions.Multiline))
            header.Add(m.Groups[1].Value);
        A.True(header.Count >= 12, "the header lists the options (found " + header.Count + ": " + string.Join(",", header) + ")");
        // Every property of Options set to a value: ToJson writes each key it knows.
        var o = new Options();
        foreach (var p in typeof(Options).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            Type t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            object v = t == typeof(string) ? (object)"x" : t == typeof(int) ? (object)1 : t == typeof(bool) ? (object)true : null;
            A.True(v != null, "an option property of a known type: " + p.Name);
            p.SetValue(o, v, null);
        }
        var keys = new HashSet<string>(((Dictionary<string, object>)BiliQrJson.Parse(o.ToJson())).Keys);
        A.Eq(typeof(Options).GetProperties(BindingFlags.Public | BindingFlags.Instance).Length, keys.Count, "one key per property");
        A.Eq(string.Join(",", header.OrderBy(k => k, StringComparer.Ordinal)), string.Join(",", keys.OrderBy(k => k, StringComparer.Ordinal)),
             "the option names of Options and of the header");
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
}

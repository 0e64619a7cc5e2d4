// Package tests: the Unity package that build-packages.sh made (its folder in $BILI_QR_CS_UNITY_DIR): every
// asset has a .meta with a unique GUID, and the import settings of the native plugins mark each binary for its
// platform and CPU only (Linux x86_64 / Windows x86_64), parsed from the .meta files themselves.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Bilibili.QrLogin;

static partial class Tests
{
    sealed class PlatformEntry
    {
        public string Key;   // "Standalone: Linux64", "Editor: Editor", ": Any", "Any:"
        public int Enabled;
        public Dictionary<string, string> Settings = new Dictionary<string, string>();
    }

    /// The platformData entries of a PluginImporter .meta (Unity's YAML, in the fixed layout Unity writes).
    static List<PlatformEntry> ParsePluginMeta(string path)
    {
        var lines = File.ReadAllLines(path);
        A.True(lines.Length > 0 && lines[0] == "fileFormatVersion: 2", path + ": a Unity .meta");
        A.True(lines.Any(l => l == "PluginImporter:"), path + ": a PluginImporter");
        var list = new List<PlatformEntry>();
        PlatformEntry cur = null;
        bool inSettings = false;
        for (int i = 0; i < lines.Length; i++)
        {
            string l = lines[i];
            if (l == "  - first:")
            {
                cur = new PlatformEntry { Key = lines[i + 1].Trim() };
                list.Add(cur);
                inSettings = false;
                i++;
                continue;
            }
            if (cur == null) continue;
            if (!l.StartsWith("    ", StringComparison.Ordinal)) { cur = null; continue; }
            var m = Regex.Match(l, @"^      enabled: (\d)$");
            if (m.Success) { cur.Enabled = int.Parse(m.Groups[1].Value); continue; }
            if (l == "      settings:") { inSettings = true; continue; }
            m = Regex.Match(l, @"^        ([^:]+): ?(.*)$");
            if (inSettings && m.Success) cur.Settings[m.Groups[1].Value] = m.Groups[2].Value.Trim();
        }
        return list;
    }

    static PlatformEntry Entry(List<PlatformEntry> es, string key, string file)
    {
        var e = es.FirstOrDefault(x => x.Key == key);
        A.True(e != null, file + ": has the platform entry \"" + key + "\"");
        return e;
    }

    static void CheckPlugin(string meta, string os, string standalone, string otherStandalone)
    {
        string f = Path.GetFileName(meta);
        var es = ParsePluginMeta(meta);
        var editor = Entry(es, "Editor: Editor", f);
        A.True(editor.Enabled == 1 && editor.Settings["OS"] == os && editor.Settings["CPU"] == "x86_64", f + ": Editor on " + os + " x86_64");
        var mine = Entry(es, "Standalone: " + standalone, f);
        A.True(mine.Enabled == 1 && mine.Settings["CPU"] == "x86_64", f + ": Standalone " + standalone + " x86_64 enabled");
        foreach (var other in new[] { otherStandalone, "Win", "OSXUniversal" })
        {
            var e = Entry(es, "Standalone: " + other, f);
            A.True(e.Enabled == 0 && e.Settings["CPU"] == "None", f + ": not for Standalone " + other);
        }
        var any = Entry(es, ": Any", f);
        A.True(any.Enabled == 0, f + ": not for any platform");
        A.Eq("0", any.Settings["Exclude " + standalone], f + ": not excluded from " + standalone);
        A.Eq("1", any.Settings["Exclude " + otherStandalone], f + ": excluded from " + otherStandalone);
    }

    public static void TestUnityPackageMeta()
    {
        string dir = Environment.GetEnvironmentVariable("BILI_QR_CS_UNITY_DIR");
        A.True(!string.IsNullOrEmpty(dir) && Directory.Exists(dir), "BILI_QR_CS_UNITY_DIR names the built Unity package: " + dir);

        // package.json: the name, and the version of Cargo.toml.
        var pkg = (Dictionary<string, object>)BiliQrJson.Parse(File.ReadAllText(Path.Combine(dir, "package.json")));
        A.Eq("com.bilibili.qrlogin", (string)pkg["name"], "package name");
        A.Eq(CargoVersion(), (string)pkg["version"], "package version from Cargo.toml");
        var asmdef = (Dictionary<string, object>)BiliQrJson.Parse(File.ReadAllText(Path.Combine(dir, "Runtime", "Bilibili.QrLogin.asmdef")));
        A.Eq("Bilibili.QrLogin", (string)asmdef["name"], "asmdef name");
        A.True(Directory.GetFiles(Path.Combine(dir, "Runtime"), "*.cs").Length >= 6, "the binding's sources are in Runtime/");

        // Every file and folder has a .meta (Unity ignores assets of an immutable package without one); GUIDs unique.
        var guids = new Dictionary<string, string>();
        foreach (var p in Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories))
        {
            if (p.EndsWith(".meta", StringComparison.Ordinal))
            {
                var m = Regex.Match(File.ReadAllText(p), @"^guid: ([0-9a-f]{32})$", RegexOptions.Multiline);
                A.True(m.Success, p + ": a 32-hex guid");
                A.True(!guids.ContainsKey(m.Groups[1].Value), p + ": guid unique (also in " + (guids.ContainsKey(m.Groups[1].Value) ? guids[m.Groups[1].Value] : "") + ")");
                guids[m.Groups[1].Value] = p;
                A.True(File.Exists(p.Substring(0, p.Length - 5)) || Directory.Exists(p.Substring(0, p.Length - 5)), p + ": its asset exists");
            }
            else A.True(File.Exists(p + ".meta"), p + ": has a .meta");
        }

        string so = Path.Combine(dir, "Plugins", "Linux", "x86_64", "libbili_qr.so");
        A.True(File.Exists(so), "the Linux plugin is in the package");
        CheckPlugin(so + ".meta", "Linux", "Linux64", "Win64");
        string dll = Path.Combine(dir, "Plugins", "Windows", "x86_64", "bili_qr.dll");
        // The Windows import settings are checked from the template when the DLL was not built here.
        string root = Environment.GetEnvironmentVariable("BILI_QR_ROOT") ?? "";
        string dllMeta = File.Exists(dll) ? dll + ".meta" : Path.Combine(root, "bindings", "csharp", "unity", "Plugins", "Windows", "x86_64", "bili_qr.dll.meta");
        CheckPlugin(dllMeta, "Windows", "Win64", "Linux64");
        Console.WriteLine("# unity package: " + guids.Count + " .meta files; Windows DLL " + (File.Exists(dll) ? "included" : "not built here (template checked)"));
    }
}

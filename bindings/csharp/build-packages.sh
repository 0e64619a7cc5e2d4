#!/usr/bin/env bash
# Builds the C# binding's packages into OUTDIR (scripts/dist.sh calls this; so does tests/suites/40-csharp.sh):
#   OUTDIR/Bilibili.QrLogin.<version>.nupkg   the NuGet package: lib/netstandard2.0/BiliQr.dll (+ .xml docs),
#                                             runtimes/linux-x64/native/libbili_qr.so, and
#                                             runtimes/win-x64/native/bili_qr.dll when the Windows build exists
#   OUTDIR/com.bilibili.qrlogin-<version>.tgz the Unity package (UPM tarball, root folder "package/"), and the
#   OUTDIR/unity/com.bilibili.qrlogin/        same package as a folder (Package Manager: "Add package from disk")
#
# Usage: bash bindings/csharp/build-packages.sh OUTDIR
# Inputs (environment): BILI_QR_LIBRARY (default target/release/libbili_qr.so), BILI_QR_WINDOWS_DLL (default
# target/x86_64-pc-windows-gnu/release/bili_qr.dll when unset; left out when empty or absent), BILI_QR_ROOT (the repository).
# Needs mcs and Mono's reference assemblies (mono-devel), zip, tar (.ci/deps/csharp.apt).
#
# How the .nupkg is made: there is no dotnet SDK here and Debian's nuget (2.8) predates netstandard, so the
# package is assembled by hand. A .nupkg is a zip (OPC) holding the .nuspec at its root, [Content_Types].xml and
# _rels/.rels; this script writes exactly those with fixed timestamps (the same inputs give the same bytes).
# The assembly: mcs cannot compile against the netstandard.dll facade (its predefined types are type forwards:
# CS0518), so it is compiled against Mono's .NET Framework 4.6.1 reference assemblies (4.6.1 is the framework
# that netstandard2.0 maps to) with -nostdlib: it references mscorlib/System/System.Core 4.0, which .NET Core 2+
# / .NET 5+, Mono and Unity all resolve. It uses only APIs that netstandard2.0 has.
#
# Version and license: from the root Cargo.toml (one source).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${BILI_QR_ROOT:-$(cd "$here/../.." && pwd)}
[[ $# -eq 1 ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
lib=${BILI_QR_LIBRARY:-$root/target/release/libbili_qr.so}
dll=${BILI_QR_WINDOWS_DLL-$root/target/x86_64-pc-windows-gnu/release/bili_qr.dll}  # set but empty: none
refs=/usr/lib/mono/4.6.1-api
for tool in mcs zip tar; do command -v $tool >/dev/null || { echo "build-packages: '$tool' not found (.ci/deps/csharp.apt)" >&2; exit 1; }; done
[[ -f $refs/mscorlib.dll ]] || { echo "build-packages: $refs not found: install mono-devel (.ci/deps/csharp.apt)" >&2; exit 1; }
[[ -f $lib ]] || { echo "build-packages: $lib not found (cargo build --release)" >&2; exit 1; }

version=$(bash "$here/cargo-meta.sh" version "$root/Cargo.toml")
license=$(bash "$here/cargo-meta.sh" license "$root/Cargo.toml")
if [[ -n ${BILI_QR_VERSION:-} && $BILI_QR_VERSION != "$version" ]]; then
  echo "build-packages: BILI_QR_VERSION=$BILI_QR_VERSION but Cargo.toml says $version" >&2; exit 1
fi
id=Bilibili.QrLogin
upm=com.bilibili.qrlogin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "-- BiliQr.dll $version (netstandard2.0 API, mcs against the 4.6.1 reference assemblies)"
bash "$here/cargo-meta.sh" assembly-info "$root/Cargo.toml" >"$work/AssemblyInfo.g.cs"
mcs -nologo -nostdlib -noconfig -optimize+ -warnaserror+ -warn:4 -nowarn:1591,1573 -target:library \
  -r:"$refs/mscorlib.dll" -r:"$refs/System.dll" -r:"$refs/System.Core.dll" \
  -doc:"$work/BiliQr.xml" -out:"$work/BiliQr.dll" "$here"/src/*.cs "$work/AssemblyInfo.g.cs"

echo "-- $id.$version.nupkg"
pkg=$work/nupkg
mkdir -p "$pkg/lib/netstandard2.0" "$pkg/runtimes/linux-x64/native" "$pkg/_rels"
cp "$work/BiliQr.dll" "$work/BiliQr.xml" "$pkg/lib/netstandard2.0/"
cp "$lib" "$pkg/runtimes/linux-x64/native/libbili_qr.so"
# The other Linux runtimes (scripts/dist.sh hands them over): .NET's RIDs linux-arm64 and linux-musl-x64.
for pair in "linux-arm64:${BILI_QR_LINUX_ARM64:-}" "linux-musl-x64:${BILI_QR_LINUX_X64_MUSL:-}"; do
  rid=${pair%%:*} so=${pair#*:}
  [[ -n $so ]] || continue
  [[ -f $so ]] || { echo "build-packages: $so (for runtimes/$rid) does not exist" >&2; exit 1; }
  mkdir -p "$pkg/runtimes/$rid/native"
  cp "$so" "$pkg/runtimes/$rid/native/libbili_qr.so"
  echo "   with runtimes/$rid/native/libbili_qr.so"
done
if [[ -n $dll && -f $dll ]]; then
  mkdir -p "$pkg/runtimes/win-x64/native"
  cp "$dll" "$pkg/runtimes/win-x64/native/bili_qr.dll"
  echo "   with the Windows DLL: $dll"
else
  echo "   (no Windows DLL at $dll: runtimes/win-x64 left out)"
fi
cp "$here/README.md" "$pkg/README.md"
for f in LICENSE-MIT LICENSE-APACHE; do [[ -f $root/$f ]] && cp "$root/$f" "$pkg/"; done
cat >"$pkg/$id.nuspec" <<XML
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>$id</id>
    <version>$version</version>
    <authors>bili_qr contributors</authors>
    <license type="expression">$license</license>
    <readme>README.md</readme>
    <description>bilibili.tv (international) QR-code login for .NET and Unity, over the bili_qr native library (C ABI 2): start, poll, wait (async), render the QR code, check, renew and log out a saved session. Native library included for linux-x64 (and win-x64 when built).</description>
    <tags>bilibili qr login native</tags>
    <dependencies>
      <group targetFramework=".NETStandard2.0" />
    </dependencies>
  </metadata>
</package>
XML
cat >"$pkg/[Content_Types].xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" /><Default Extension="nuspec" ContentType="application/octet" /><Default Extension="dll" ContentType="application/octet" /><Default Extension="xml" ContentType="application/octet" /><Default Extension="so" ContentType="application/octet" /><Default Extension="md" ContentType="application/octet" /><Default Extension="txt" ContentType="application/octet" /><Override PartName="/LICENSE-MIT" ContentType="application/octet" /><Override PartName="/LICENSE-APACHE" ContentType="application/octet" /></Types>
XML
cat >"$pkg/_rels/.rels" <<XML
<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/$id.nuspec" Id="R0" /></Relationships>
XML
rm -f "$out/$id.$version.nupkg"
(cd "$pkg" && find . -exec touch -h -d '2000-01-01 00:00:00' {} + && find . -type f | sed 's|^\./||' | LC_ALL=C sort | zip -q -X -D "$out/$id.$version.nupkg" -@)

echo "-- Unity package $upm $version"
u=$out/unity/$upm
rm -rf "$u"
mkdir -p "$u"
cp -R "$here/unity/." "$u/"
sed -e "s/@VERSION@/$version/g" -e "s/@LICENSE@/$license/g" "$here/unity/package.json" >"$u/package.json"
# A .meta per file with a fixed GUID (from the package path), so an upgrade keeps Unity's references.
meta() { # $1: file in the package, $2: importer (MonoImporter | DefaultImporter)
  local guid extra=""
  guid=$(printf '%s' "$upm/$1" | md5sum | cut -c1-32)
  [[ $2 == MonoImporter ]] && extra='  serializedVersion: 2\n  defaultReferences: []\n  executionOrder: 0\n  icon: {instanceID: 0}\n'
  printf "fileFormatVersion: 2\nguid: %s\n%s:\n  externalObjects: {}\n${extra}  userData: \n  assetBundleName: \n  assetBundleVariant: \n" "$guid" "$2" >"$u/$1.meta"
}
for f in "$here"/src/*.cs; do
  cp "$f" "$u/Runtime/$(basename "$f")"
  meta "Runtime/$(basename "$f")" MonoImporter
done
bash "$here/cargo-meta.sh" assembly-info "$root/Cargo.toml" >"$u/Runtime/AssemblyInfo.cs"
meta Runtime/AssemblyInfo.cs MonoImporter
cp "$lib" "$u/Plugins/Linux/x86_64/libbili_qr.so"
if [[ -n $dll && -f $dll ]]; then
  cp "$dll" "$u/Plugins/Windows/x86_64/bili_qr.dll"
else
  # No binary, no import settings: Unity warns about a .meta without its asset.
  rm -f "$u/Plugins/Windows/x86_64/bili_qr.dll.meta"
fi
for f in LICENSE-MIT LICENSE-APACHE; do
  if [[ -f $root/$f ]]; then cp "$root/$f" "$u/$f" && meta "$f" DefaultImporter; fi
done
rm -f "$out/$upm-$version.tgz"
tar -C "$out/unity" --transform "s|^$upm|package|" --sort=name --owner=0 --group=0 --numeric-owner \
  --mtime='2000-01-01 00:00:00' -czf "$out/$upm-$version.tgz" "$upm"
echo "build-packages: $out/$id.$version.nupkg, $out/$upm-$version.tgz, $u"

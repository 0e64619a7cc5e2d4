#!/usr/bin/env bash
# Reads the one source of the version and the license, the root Cargo.toml, for the C# builds:
#   cargo-meta.sh version CARGO_TOML        → 0.2.0   ([workspace.package] version, else [package] version)
#   cargo-meta.sh license CARGO_TOML        → MIT OR Apache-2.0
#   cargo-meta.sh assembly-info CARGO_TOML  → a C# file with AssemblyVersion/FileVersion/InformationalVersion
set -euo pipefail
what=$1 toml=$2
field() { # $1: key; the first value in [workspace.package], else in [package]
  awk -v key="$1" '
    /^\[/ { sec = $0; next }
    $0 ~ "^" key "[ \t]*=" {
      v = $0; sub(/^[^=]*=[ \t]*"/, "", v); sub(/".*$/, "", v)
      if (sec == "[workspace.package]" && ws == "") ws = v
      if (sec == "[package]" && pk == "") pk = v
    }
    END { if (ws != "") print ws; else if (pk != "") print pk }' "$toml"
}
case $what in
  version|license)
    v=$(field "$what")
    [[ -n $v ]] || { echo "cargo-meta: no $what in $toml" >&2; exit 1; }
    if [[ $what == version && ! $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then echo "cargo-meta: odd version '$v'" >&2; exit 1; fi
    echo "$v" ;;
  assembly-info)
    v=$(bash "$0" version "$toml")
    cat <<CS
// GENERATED from the version in the root Cargo.toml by bindings/csharp/cargo-meta.sh; do not edit.
using System.Reflection;
[assembly: AssemblyTitle("Bilibili.QrLogin")]
[assembly: AssemblyDescription("bilibili.tv QR-code login over the bili_qr native library")]
[assembly: AssemblyVersion("$v.0")]
[assembly: AssemblyFileVersion("$v.0")]
[assembly: AssemblyInformationalVersion("$v")]
CS
    ;;
  *) echo "usage: $0 version|license|assembly-info CARGO_TOML" >&2; exit 2 ;;
esac

//! Generates the C header, `$OUT_DIR/bili_qr.h`, with cbindgen (config: cbindgen.toml), from the FFI layer
//! alone: the files of src/ffi/ are read with syn, each `ffi_fn! { … }` declaration (see src/ffi/mod.rs) is
//! written out as the plain `extern "C"` function it expands to, and cbindgen reads only that, with the
//! public constants and types of src/ffi. Nothing of the core can reach the header, so there is no exclude
//! list; the header's preamble is the module documentation of src/ffi/mod.rs (its one home).
//!
//! The committed copy, include/bili_qr.h, is compared with the generated one by tests/abi_header.rs (which
//! rewrites it when run with BILI_QR_BLESS_HEADER=1). This script never writes into the source tree.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use std::path::{Path, PathBuf};
use syn::parse::{Parse, ParseStream};
use syn::{braced, parenthesized, Attribute, Block, Expr, Ident, Item, Token, Type};

/// One function signature of an `ffi_fn!` invocation.
struct Decl {
    attrs: Vec<Attribute>,
    unsafety: Option<Token![unsafe]>,
    name: Ident,
    /// `name: Type` pairs; `None` for a twin's `(.., out_error)`.
    args: Option<Vec<(Ident, Type)>>,
    ret: Option<Type>,
}

/// An `ffi_fn!` invocation: a function, and possibly its `_ex` twin.
struct FfiFn {
    decls: Vec<Decl>,
}

fn parse_decl(input: ParseStream) -> syn::Result<Decl> {
    let attrs = input.call(Attribute::parse_outer)?;
    let unsafety = input.parse()?;
    input.parse::<Token![fn]>()?;
    let name = input.parse()?;
    let content;
    parenthesized!(content in input);
    let args = if content.peek(Token![..]) {
        content.parse::<Token![..]>()?;
        content.parse::<Token![,]>()?;
        let twin: Ident = content.parse()?;
        if twin != "out_error" {
            return Err(syn::Error::new(
                twin.span(),
                "a twin's arguments are `(.., out_error)`",
            ));
        }
        None
    } else {
        let mut args = Vec::new();
        while !content.is_empty() {
            let arg: Ident = content.parse()?;
            content.parse::<Token![:]>()?;
            args.push((arg, content.parse()?));
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
        }
        Some(args)
    };
    let ret = if input.peek(Token![->]) {
        input.parse::<Token![->]>()?;
        Some(input.parse()?)
    } else {
        None
    };
    Ok(Decl {
        attrs,
        unsafety,
        name,
        args,
        ret,
    })
}

fn skip_block(input: ParseStream) -> syn::Result<()> {
    let content;
    braced!(content in input);
    content.call(Block::parse_within)?;
    Ok(())
}

impl Parse for FfiFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut decls = vec![parse_decl(input)?];
        if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
            if !input.peek(syn::token::Brace) {
                decls.push(parse_decl(input)?);
                input.parse::<Token![;]>()?;
            }
        }
        skip_block(input)?;
        if input.peek(Token![?]) {
            input.parse::<Token![?]>()?;
            input.parse::<Token![=]>()?;
            input.parse::<Expr>()?;
            input.parse::<Token![;]>()?;
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after an ffi_fn! declaration"));
        }
        Ok(FfiFn { decls })
    }
}

impl FfiFn {
    fn expand(&self) -> TokenStream {
        let first_args = self.decls[0].args.clone().unwrap_or_default();
        let mut out = TokenStream::new();
        for d in &self.decls {
            let (attrs, unsafety, name, ret) = (&d.attrs, &d.unsafety, &d.name, &d.ret);
            let mut args: Vec<TokenStream> =
                first_args.iter().map(|(a, t)| quote!(#a: #t)).collect();
            if d.args.is_none() {
                args.push(quote!(out_error: *mut *mut c_char));
            }
            let ret = ret.as_ref().map(|t| quote!(-> #t));
            out.extend(quote! {
                #(#attrs)*
                #[no_mangle]
                pub #unsafety extern "C" fn #name(#(#args),*) #ret {}
            });
        }
        out
    }
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// The FFI layer's public items, with every `ffi_fn!` expanded to a plain declaration.
fn ffi_items(file: &Path, out: &mut TokenStream) {
    let text =
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("parse {}: {e}", file.display()));
    for item in parsed.items {
        match item {
            Item::Const(c) if is_pub(&c.vis) => c.to_tokens(out),
            Item::Type(t) if is_pub(&t.vis) => t.to_tokens(out),
            Item::Macro(m) if m.mac.path.is_ident("ffi_fn") => {
                let f: FfiFn = m.mac.parse_body().unwrap_or_else(|e| {
                    panic!("{}: an ffi_fn! declaration does not parse: {e}", file.display())
                });
                out.extend(f.expand());
            }
            Item::Fn(f) if f.sig.abi.is_some() => panic!(
                "{}: `{}` is an extern function outside ffi_fn!: every export goes through the macro",
                file.display(),
                f.sig.ident
            ),
            _ => {}
        }
    }
}

/// The `//!` documentation of src/ffi/mod.rs as a C comment (code fences dropped).
fn preamble(mod_rs: &Path) -> String {
    let text = std::fs::read_to_string(mod_rs).expect("read src/ffi/mod.rs");
    let parsed = syn::parse_file(&text).expect("parse src/ffi/mod.rs");
    let mut lines = vec!["/*".to_owned()];
    for attr in parsed.attrs.iter().filter(|a| a.path().is_ident("doc")) {
        let syn::Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        let Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) = &nv.value
        else {
            continue;
        };
        let line = s.value();
        let line = line.strip_prefix(' ').unwrap_or(&line);
        if line.trim_start().starts_with("```") {
            continue;
        }
        // The last paragraph (from "In Rust,") is about the Rust module, not the C header.
        if line.starts_with("In Rust,") {
            break;
        }
        assert!(
            !line.contains("*/"),
            "the preamble must not contain */: {line}"
        );
        lines.push(if line.is_empty() {
            " *".to_owned()
        } else {
            format!(" * {line}")
        });
    }
    while lines.last().is_some_and(|l| l == " *") {
        lines.pop();
    }
    lines.push(" */".to_owned());
    lines.join("\n")
}

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    // The soname (libbili_qr.so.MAJOR) is set by capi/build.rs, which also links target/<profile>/libbili_qr.so.MAJOR
    // to the library so that it stays usable as built (cc -lbili_qr).
    let crate_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let ffi_dir = crate_dir.join("src/ffi");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&ffi_dir)
        .expect("read src/ffi")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs") && !p.ends_with("mod.rs"))
        .collect();
    files.sort();
    files.insert(0, ffi_dir.join("mod.rs"));
    let mut items = TokenStream::new();
    for f in &files {
        ffi_items(f, &mut items);
    }
    let api = out_dir.join("ffi_api.rs");
    std::fs::write(&api, items.to_string()).expect("write ffi_api.rs");

    let mut config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let version = |part: &str| {
        std::env::var(format!("CARGO_PKG_VERSION_{part}")).unwrap_or_else(|_| "0".into())
    };
    config.header = Some(preamble(&ffi_dir.join("mod.rs")));
    config.after_includes = Some(format!(
        "\n#include <stddef.h>\n\n/* The library version this header belongs to (Cargo.toml); bili_qr_version() gives the loaded one. */\n#define BILI_QR_VERSION_MAJOR {}\n#define BILI_QR_VERSION_MINOR {}\n#define BILI_QR_VERSION_PATCH {}\n",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH")
    ));
    let bindings = match cbindgen::Builder::new()
        .with_src(&api)
        .with_config(config)
        .generate()
    {
        Ok(b) => b,
        Err(e) => panic!("cbindgen failed to generate bili_qr.h: {e}"),
    };
    bindings.write_to_file(out_dir.join("bili_qr.h"));
}

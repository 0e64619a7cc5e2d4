//! The JSON objects the library hands out against their schema in include/bili_qr_abi.json (generated from
//! abi/bili_qr.toml): start, a pending and a confirmed poll (with verify_login), the session object, check and
//! logout, taken from real calls against the fake server. Every key is in the schema with its type (null only
//! where the schema allows it, nested objects and arrays too), every required key is there, and every schema
//! property appears in at least one of the objects, so the schema describes what the Rust types write.

use crate::common::*;
use bili_qr::ffi::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/include/bili_qr_abi.json");
    let text = std::fs::read_to_string(path).expect("include/bili_qr_abi.json");
    serde_json::from_str::<Value>(&text).expect("valid JSON")["objects"]["$defs"].clone()
}

/// Checks `v` against the schema `s` (the subset abi/gen.py writes: type, enum, anyOf, items, $ref,
/// properties, required); `seen` collects `object.property` for every property met.
fn conforms(
    defs: &Value,
    s: &Value,
    v: &Value,
    at: &str,
    seen: &mut BTreeSet<String>,
) -> Result<(), String> {
    if let Some(r) = s["$ref"].as_str() {
        return conforms_object(defs, r.trim_start_matches("#/$defs/"), v, at, seen);
    }
    if let Some(any) = s["anyOf"].as_array() {
        let mut why = Vec::new();
        for alt in any {
            match conforms(defs, alt, v, at, seen) {
                Ok(()) => return Ok(()),
                Err(e) => why.push(e),
            }
        }
        return Err(format!(
            "{at}: {v} matches none of the alternatives: {why:?}"
        ));
    }
    let ty = s["type"]
        .as_str()
        .ok_or_else(|| format!("{at}: no type in {s}"))?;
    let ok = match ty {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        other => return Err(format!("{at}: type {other} is not one abi/gen.py writes")),
    };
    if !ok {
        return Err(format!("{at}: {v} is not a {ty}"));
    }
    if let Some(allowed) = s["enum"].as_array() {
        if !allowed.contains(v) {
            return Err(format!("{at}: {v} is not one of {allowed:?}"));
        }
    }
    if let Some(items) = v.as_array() {
        for (i, item) in items.iter().enumerate() {
            conforms(defs, &s["items"], item, &format!("{at}[{i}]"), seen)?;
        }
    }
    Ok(())
}

fn conforms_object(
    defs: &Value,
    name: &str,
    v: &Value,
    at: &str,
    seen: &mut BTreeSet<String>,
) -> Result<(), String> {
    let def = &defs[name];
    let props = def["properties"]
        .as_object()
        .ok_or_else(|| format!("no object {name} in the schema"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{at}: {v} is not an object"))?;
    for (key, value) in obj {
        let s = props
            .get(key)
            .ok_or_else(|| format!("{at}: key {key} is not in the schema of {name}"))?;
        seen.insert(format!("{name}.{key}"));
        conforms(defs, s, value, &format!("{at}.{key}"), seen)?;
    }
    for required in def["required"].as_array().into_iter().flatten() {
        let key = required.as_str().unwrap_or_default();
        if !obj.contains_key(key) {
            return Err(format!(
                "{at}: required key {key} of {name} is missing in {v}"
            ));
        }
    }
    Ok(())
}

/// Panics with the reason when `v` is not a `name` object of the schema.
fn assert_conforms(defs: &Value, name: &str, v: &Value, at: &str, seen: &mut BTreeSet<String>) {
    if let Err(e) = conforms_object(defs, name, v, at, seen) {
        panic!("{e}");
    }
}

#[test]
fn the_objects_handed_out_follow_the_schema() {
    let defs = schema();
    let mut seen = BTreeSet::new();
    let env = Env::new("id=schema,flow=sc,name=Alice,mid=4242");
    let opts = env.opts(json!({ "api_base_url": env.base(), "verify_login": true }));

    let qr = start(Some(&opts)).expect(BILI_QR_OK).json();
    assert_conforms(&defs, "qr", &qr, "start", &mut seen);
    let ticket = qr["ticket"].as_str().expect("ticket").to_owned();
    let mut pending = 0;
    let confirmed = loop {
        let o = poll(&ticket, Some(&opts));
        let status = o.status;
        let v = o.json();
        assert_conforms(&defs, "poll", &v, "poll", &mut seen);
        if status == BILI_QR_OK {
            break v;
        }
        pending += 1;
        assert!(pending < 10, "the scenario confirms within a few polls");
    };
    assert!(pending >= 1, "a pending poll object was checked too");
    let confirmed_text = confirmed.to_string();

    let session = convert(&confirmed_text, "json").expect(BILI_QR_OK).json();
    assert_conforms(&defs, "session", &session, "session_convert", &mut seen);
    let checked = check(&confirmed_text, Some(&opts))
        .expect(BILI_QR_OK)
        .json();
    assert_conforms(&defs, "check", &checked, "check", &mut seen);
    let out = logout(&confirmed_text, Some(&opts))
        .expect(BILI_QR_OK)
        .json();
    assert_conforms(&defs, "logout", &out, "logout", &mut seen);

    // The mainland web login (site, refresh_token), its check (refresh_needed), refresh (status,
    // previous_refresh_token, warnings) and confirmation; then the TV login (flow, token) and its check.
    let env = Env::new("id=schema-main,flow=c");
    let main_opts = env.opts(json!({
        "site": "main",
        "api_base_url": env.base(),
        "www_base_url": env.base(),
        "refresh_public_key": bili_qr_fake_server::refresh_public_key_pem(),
    }));
    let qr = start(Some(&main_opts)).expect(BILI_QR_OK).json();
    assert_conforms(&defs, "qr", &qr, "main start", &mut seen);
    let ticket = qr["ticket"].as_str().expect("ticket").to_owned();
    let confirmed = poll(&ticket, Some(&main_opts)).expect(BILI_QR_OK).json();
    assert_conforms(&defs, "poll", &confirmed, "main poll", &mut seen);
    let text = confirmed.to_string();
    let session = convert(&text, "json").expect(BILI_QR_OK).json();
    assert_conforms(
        &defs,
        "session",
        &session,
        "main session_convert",
        &mut seen,
    );
    let checked = check(&text, Some(&main_opts)).expect(BILI_QR_OK).json();
    assert_conforms(&defs, "check", &checked, "main check", &mut seen);
    let refreshed = refresh(&text, &main_opts).expect(BILI_QR_OK).json();
    assert_conforms(&defs, "session", &refreshed, "main refresh", &mut seen);
    let done = refresh_confirm(&refreshed.to_string(), &main_opts)
        .expect(BILI_QR_OK)
        .json();
    assert_conforms(&defs, "session", &done, "main refresh_confirm", &mut seen);

    let env = Env::new("id=schema-tv,flow=c");
    let tv_opts = env.opts(json!({
        "site": "main",
        "flow": "tv",
        "api_base_url": env.base(),
        "www_base_url": env.base(),
    }));
    let qr = start(Some(&tv_opts)).expect(BILI_QR_OK).json();
    assert_conforms(&defs, "qr", &qr, "tv start", &mut seen);
    let ticket = qr["ticket"].as_str().expect("ticket").to_owned();
    let confirmed = poll(&ticket, Some(&tv_opts)).expect(BILI_QR_OK).json();
    assert_conforms(&defs, "poll", &confirmed, "tv poll", &mut seen);
    let text = confirmed.to_string();
    let session = convert(&text, "json").expect(BILI_QR_OK).json();
    assert_conforms(&defs, "session", &session, "tv session_convert", &mut seen);
    let session_opts = env.opts(json!({"api_base_url": env.base(), "www_base_url": env.base()}));
    let checked = check(&text, Some(&session_opts)).expect(BILI_QR_OK).json();
    assert_conforms(&defs, "check", &checked, "tv check", &mut seen);

    // Every property of the schema was met at least once: the schema holds nothing the library never writes.
    let mut unmet = Vec::new();
    for (name, def) in defs.as_object().expect("$defs") {
        for key in def["properties"].as_object().expect("properties").keys() {
            if !seen.contains(&format!("{name}.{key}")) {
                unmet.push(format!("{name}.{key}"));
            }
        }
    }
    assert!(
        unmet.is_empty(),
        "schema properties no object had: {unmet:?}"
    );
}

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

/// The objects of the schema, and every `object.property` the objects checked so far had.
struct Checker<'a> {
    defs: &'a Value,
    seen: BTreeSet<String>,
}

impl<'a> Checker<'a> {
    /// Checks `v` against the schema `s` (the subset abi/gen.py writes: type, enum, anyOf, items, $ref,
    /// properties, required), noting every property met.
    fn conforms(&mut self, s: &'a Value, v: &Value, at: &str) -> Result<(), String> {
        if let Some(r) = s["$ref"].as_str() {
            return self.conforms_object(r.trim_start_matches("#/$defs/"), v, at);
        }
        if let Some(any) = s["anyOf"].as_array() {
            let mut why = Vec::new();
            for alt in any {
                match self.conforms(alt, v, at) {
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
                self.conforms(&s["items"], item, &format!("{at}[{i}]"))?;
            }
        }
        Ok(())
    }

    fn conforms_object(&mut self, name: &str, v: &Value, at: &str) -> Result<(), String> {
        let def = &self.defs[name];
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
            self.seen.insert(format!("{name}.{key}"));
            self.conforms(s, value, &format!("{at}.{key}"))?;
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
    fn assert_conforms(&mut self, name: &str, v: &Value, at: &str) {
        if let Err(e) = self.conforms_object(name, v, at) {
            panic!("{e}");
        }
    }

    /// A login with `opts` that its first poll confirms (`what` names it), then a check of it with
    /// `check_opts`: start's qr object, the confirmed poll object, the session it converts to and the check's
    /// object follow the schema. The poll object's text.
    fn checked_login(&mut self, opts: &str, check_opts: &str, what: &str) -> String {
        let qr = start(Some(opts)).expect(BILI_QR_OK).json();
        self.assert_conforms("qr", &qr, &format!("{what} start"));
        let ticket = qr["ticket"].as_str().expect("ticket").to_owned();
        let confirmed = poll(&ticket, Some(opts)).expect(BILI_QR_OK).json();
        self.assert_conforms("poll", &confirmed, &format!("{what} poll"));
        let text = confirmed.to_string();
        let session = convert(&text, "json").expect(BILI_QR_OK).json();
        self.assert_conforms("session", &session, &format!("{what} session_convert"));
        let checked = check(&text, Some(check_opts)).expect(BILI_QR_OK).json();
        self.assert_conforms("check", &checked, &format!("{what} check"));
        text
    }
}

#[test]
fn the_objects_handed_out_follow_the_schema() {
    let defs = schema();
    let mut checker = Checker {
        defs: &defs,
        seen: BTreeSet::new(),
    };
    let env = Env::new("id=schema,flow=sc,name=Alice,mid=4242");
    let opts = env.opts(json!({ "api_base_url": env.base(), "verify_login": true }));

    let qr = start(Some(&opts)).expect(BILI_QR_OK).json();
    checker.assert_conforms("qr", &qr, "start");
    let ticket = qr["ticket"].as_str().expect("ticket").to_owned();
    let mut pending = 0;
    let confirmed = loop {
        let o = poll(&ticket, Some(&opts));
        let status = o.status;
        let v = o.json();
        checker.assert_conforms("poll", &v, "poll");
        if status == BILI_QR_OK {
            break v;
        }
        pending += 1;
        assert!(pending < 10, "the scenario confirms within a few polls");
    };
    assert!(pending >= 1, "a pending poll object was checked too");
    let confirmed_text = confirmed.to_string();

    let session = convert(&confirmed_text, "json").expect(BILI_QR_OK).json();
    checker.assert_conforms("session", &session, "session_convert");
    let checked = check(&confirmed_text, Some(&opts))
        .expect(BILI_QR_OK)
        .json();
    checker.assert_conforms("check", &checked, "check");
    let out = logout(&confirmed_text, Some(&opts))
        .expect(BILI_QR_OK)
        .json();
    checker.assert_conforms("logout", &out, "logout");

    // The mainland web login (site, refresh_token), its check (refresh_needed), refresh (status,
    // previous_refresh_token, warnings) and confirmation; then the TV login (flow, token) and its check.
    let env = Env::new("id=schema-main,flow=c");
    let main_opts = env.main_opts(json!({}));
    let text = checker.checked_login(&main_opts, &main_opts, "main");
    let refreshed = refresh(&text, &main_opts).expect(BILI_QR_OK).json();
    checker.assert_conforms("session", &refreshed, "main refresh");
    let done = refresh_confirm(&refreshed.to_string(), &main_opts)
        .expect(BILI_QR_OK)
        .json();
    checker.assert_conforms("session", &done, "main refresh_confirm");

    let env = Env::new("id=schema-tv,flow=c");
    let (tv_opts, session_opts) = (env.tv_opts(json!({})), env.session_opts(json!({})));
    checker.checked_login(&tv_opts, &session_opts, "tv");

    // Every property of the schema was met at least once: the schema holds nothing the library never writes.
    let mut unmet = Vec::new();
    for (name, def) in defs.as_object().expect("$defs") {
        for key in def["properties"].as_object().expect("properties").keys() {
            if !checker.seen.contains(&format!("{name}.{key}")) {
                unmet.push(format!("{name}.{key}"));
            }
        }
    }
    assert!(
        unmet.is_empty(),
        "schema properties no object had: {unmet:?}"
    );
}

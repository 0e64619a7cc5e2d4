//! The control API (`/__log`, `/__stats`, `/__reset`, `/__state`).

use crate::http::parse_query;
use crate::resp::{Body, Resp, JSON};
use crate::state::{force_state, RequestRecord, Shared, State};

/// The control API (`/__…`): not logged, not counted.
pub(crate) fn control(sh: &Shared, what: &str, query_str: &str) -> Resp {
    match what {
        "log" => {
            let inner = sh.inner();
            let log: Vec<&RequestRecord> = inner.log.iter().collect();
            let body = serde_json::to_vec(&log).unwrap_or_else(|_| b"[]".to_vec());
            Resp::new(200, JSON, Body::Owned(body))
        }
        "stats" => {
            let inner = sh.inner();
            Resp::json(format!(
                r#"{{"connections":{},"requests":{}}}"#,
                inner.connections, inner.requests
            ))
        }
        "sessions/end" => {
            sh.sessions().end_all();
            sh.main().end_all();
            Resp::json_static(r#"{"ok":true}"#)
        }
        "reset" => {
            sh.inner().clear();
            Resp::json_static(r#"{"ok":true}"#)
        }
        "state" => {
            let q = parse_query(query_str);
            let scenario = q.get("scenario").map(String::as_str).unwrap_or("");
            let ticket = q.get("ticket").map(String::as_str).unwrap_or("");
            let state = q.get("state").and_then(|s| State::parse(s));
            match state {
                Some(st) if !ticket.is_empty() => {
                    force_state(sh, scenario, ticket, st);
                    Resp::json_static(r#"{"ok":true}"#)
                }
                _ => Resp::json_static(
                    r#"{"ok":false,"error":"want scenario=…&ticket=…&state=waiting|scanned|confirmed|expired"}"#,
                )
                .with_status(400),
            }
        }
        _ => {
            Resp::json_static(r#"{"ok":false,"error":"unknown control endpoint"}"#).with_status(404)
        }
    }
}

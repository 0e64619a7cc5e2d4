'use strict';
// The objects the library hands out (JSON text), as the binding returns them: plain objects, whose
// util.inspect (console.log) shows no secret. SECURITY.md: cookie values and tokens are never shown, a ticket at
// most by its first 6 characters; the qr_url and go_url carry a ticket or credentials. JSON.stringify and the
// properties themselves are unchanged: the inspector is a non-enumerable symbol property.

const util = require('node:util');
const { shortTicket } = require('./args');

/** Keys whose string value is a secret, shown as "…". */
const HIDDEN = new Set(['value', 'cookie_header', 'access_token', 'refresh_token', 'previous_refresh_token', 'go_url', 'qr_url']);

/** A copy of `v` (the value of `key`) fit to print: cookies by name, secrets as "…", a ticket by its start. */
function shown(v, key) {
  if (typeof v === 'string') {
    if (key === 'ticket') return shortTicket(v);
    return HIDDEN.has(key) ? '…' : v;
  }
  if (key === 'cookies' && Array.isArray(v)) return v.map((c) => (c && typeof c === 'object' ? c.name : shown(c)));
  if (Array.isArray(v)) return v.map((x) => shown(x));
  if (v && typeof v === 'object') {
    const copy = {};
    for (const [k, x] of Object.entries(v)) copy[k] = shown(x, k);
    return copy;
  }
  return v;
}

/** Parses a result of the library; an object prints without its secrets. */
function resultObject(text) {
  const result = JSON.parse(text);
  if (result && typeof result === 'object') {
    Object.defineProperty(result, util.inspect.custom, {
      value: (depth, options) => util.inspect(shown(result), options),
      enumerable: false,
    });
  }
  return result;
}

module.exports = { resultObject };

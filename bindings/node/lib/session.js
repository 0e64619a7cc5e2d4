'use strict';
// After the login: a saved session, checked, renewed (mainland cookie refresh, TV token renewal), ended. The formats (JSON session object,
// Cookie header, Netscape cookies.txt) are the library's own (bili_qr_session_convert): this binding has no
// cookie writer or parser of its own.

const fs = require('node:fs');
const util = require('node:util');
const { native, abiVersion, callSync, callStatusSync, callAsync } = require('./native');
const { argumentError } = require('./errors');
const { cString, optionsJson, withSignal } = require('./args');

/** The library refuses a session text over 1 MiB; a bigger file is refused before it is read. */
const MAX_SESSION_BYTES = 1024 * 1024;
const FORMATS = new Set(['json', 'header', 'netscape']);

/** A session argument as the library receives it: a Session, a poll/session object, or text in any form. */
function sessionText(session) {
  if (session instanceof Session) return JSON.stringify(session.toJSON());
  if (typeof session === 'string') return cString(session, 'session');
  if (session && typeof session === 'object' && !Array.isArray(session)) {
    return cString(JSON.stringify(session), 'session');
  }
  throw argumentError('session must be a Session, a login or session object, or a string (JSON, Cookie header or cookies.txt)');
}

function formatArg(format) {
  if (!FORMATS.has(format)) throw argumentError(`format must be 'json', 'header' or 'netscape', got ${String(format)}`);
  return format;
}

/**
 * Writes `text` to `file` with the library's one session-file writer (bili_qr_session_save): it checks that
 * `text` is a session, then writes a temporary file beside `file` (mode 0600), fsync, rename, fsync of the
 * folder. A path that cannot be written is a BiliQrError ERR_ARGUMENT naming it; the old file stays as it was.
 */
function saveText(file, text) {
  if (native.save === null) throw argumentError(`saving a session needs ABI 3; the library loaded has ABI ${abiVersion}`);
  callStatusSync(native.save, cString(file, 'path'), cString(text, 'session'));
}

/**
 * A login session: its cookies (secrets), `mid` and `host`, as the library's session object. Made by
 * `Session.from(...)` (a login result, a session object, a Cookie header or cookies.txt text),
 * `Session.load(path)`, or `check()` (which adds `status`, `renewed`, `name`, `face`).
 */
class Session {
  #data;

  /** @param {object} data a session object as the library writes it ({mid, host, cookies, cookie_header}) */
  constructor(data) {
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      throw argumentError('a Session is made from a session object with cookies and cookie_header (use Session.from)');
    }
    // A TV token session needs no cookie (its token is the credential); any other needs its cookies.
    const token = isTokenObject(data.token);
    if (!token && (!Array.isArray(data.cookies) || typeof data.cookie_header !== 'string')) {
      throw argumentError('a Session is made from a session object with cookies and cookie_header (use Session.from)');
    }
    this.#data = token
      ? { ...data, cookies: Array.isArray(data.cookies) ? data.cookies : [], cookie_header: typeof data.cookie_header === 'string' ? data.cookie_header : '' }
      : data;
  }

  /** A session from a login result, a session object, a Cookie header or the text of a cookies.txt. */
  static from(session) {
    const { text } = callSync(native.convert, sessionText(session), 'json');
    return new Session(JSON.parse(text));
  }

  /**
   * Reads a session file: a cookies.txt (Netscape) or a JSON session/login object. Throws the fs error (ENOENT,
   * EACCES) when the file cannot be read, as fs.readFileSync does, and BiliQrError ERR_ARGUMENT when it is over
   * 1 MiB or holds no session.
   */
  static load(file) {
    const size = fs.statSync(file).size;
    if (size > MAX_SESSION_BYTES) {
      throw argumentError(`${file} is ${size} bytes; a session file is at most ${MAX_SESSION_BYTES}`);
    }
    return Session.from(fs.readFileSync(file, 'utf8'));
  }

  /** the account's mid (a number), or null when unknown */
  get mid() {
    return this.#data.mid === undefined ? null : this.#data.mid;
  }

  /** 'main' for a bilibili.com session (ABI 3), 'intl' otherwise */
  get site() {
    return this.#data.site === 'main' ? 'main' : 'intl';
  }

  /** a mainland web session's refresh token (a secret), or null */
  get refreshToken() {
    return typeof this.#data.refresh_token === 'string' ? this.#data.refresh_token : null;
  }

  /** between refresh() and refreshConfirm(): the replaced session's refresh token (a secret), else null */
  get previousRefreshToken() {
    return typeof this.#data.previous_refresh_token === 'string' ? this.#data.previous_refresh_token : null;
  }

  /** after check() of a mainland session: true when the service wants a refresh, false, or null (not known) */
  get refreshNeeded() {
    return typeof this.#data.refresh_needed === 'boolean' ? this.#data.refresh_needed : null;
  }

  /** a TV login's token ({access_token, refresh_token, expires_at}; secrets), a copy, or null */
  get token() {
    return isTokenObject(this.#data.token) ? { ...this.#data.token } : null;
  }

  /** 'tv' for a TV token session, else 'web' */
  get flow() {
    return this.#data.flow === 'tv' || isTokenObject(this.#data.token) ? 'tv' : 'web';
  }

  /** after refresh(): what was odd (short English, never a secret); empty otherwise */
  get warnings() {
    return Array.isArray(this.#data.warnings) ? [...this.#data.warnings] : [];
  }

  /** the host that set the host-only cookies (the login's base_url host) */
  get host() {
    return this.#data.host === undefined ? null : this.#data.host;
  }

  /** a copy of the cookie objects (values are secrets) */
  get cookies() {
    return this.#data.cookies.map((c) => ({ ...c }));
  }

  /** `SESSDATA=…; bili_jct=…; …`, for a Cookie header (a secret) */
  get cookieHeader() {
    return this.#data.cookie_header;
  }

  /** after check(): 'valid' or 'expired'; after refresh(): 'refreshed'; after refreshConfirm(): 'confirmed'; else undefined */
  get status() {
    return this.#data.status;
  }

  /** after check(): true when the service said the session is good */
  get valid() {
    return this.#data.status === 'valid';
  }

  /** after check(): true when the service set new cookie values (save the session again) */
  get renewed() {
    return this.#data.renewed === true;
  }

  /** after a valid check(): the account's name, or null */
  get name() {
    return this.#data.name === undefined ? null : this.#data.name;
  }

  /** after a valid check(): the account's avatar URL, or null */
  get face() {
    return this.#data.face === undefined ? null : this.#data.face;
  }

  /** The session object (a copy), as the library reads it back. */
  toJSON() {
    return JSON.parse(JSON.stringify(this.#data));
  }

  /** The session in one of the library's formats: 'json', 'header' (the Cookie header) or 'netscape' (cookies.txt). */
  format(format) {
    return callSync(native.convert, JSON.stringify(this.#data), formatArg(format)).text;
  }

  /**
   * Writes the session to `file` atomically with mode 0600, through the library's writer (bili_qr_session_save). `format`: 'json', 'netscape' or 'header';
   * by default 'json' for a name ending in `.json` or a TV token session (only JSON carries the token), else
   * 'netscape' (cookies.txt; a mainland session's refresh tokens are kept as two more lines).
   */
  save(file, options) {
    cString(file, 'path');
    if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) {
      throw argumentError('the options of save must be an object such as {format: "json"}');
    }
    const format = options == null ? undefined : options.format;
    const json = String(file).toLowerCase().endsWith('.json') || this.token !== null;
    const fmt = format === undefined ? (json ? 'json' : 'netscape') : format;
    let text = this.format(fmt);
    if (fmt === 'header' && !text.endsWith('\n')) text += '\n';
    saveText(file, text);
  }

  /** console.log and util.inspect show the cookie names, never their values. */
  [util.inspect.custom]() {
    const d = this.#data;
    const shown = { mid: this.mid, host: this.host, cookies: d.cookies.map((c) => c.name) };
    if (d.site === 'main') shown.site = 'main';
    if (this.token !== null) shown.flow = 'tv';
    if (d.status !== undefined) Object.assign(shown, { status: d.status, renewed: this.renewed, name: this.name });
    return `Session ${util.inspect(shown)}`;
  }
}

/** [sessionText, optionsJson] of a session call; throws the BiliQrError for a bad argument. */
function sessionArgs(session, options) {
  return [sessionText(session), optionsJson(options)];
}

/** The `_ex` function of a refresh call, or ERR_ARGUMENT when the loaded library predates ABI 3. */
function refreshFn(fn, name) {
  if (!fn) throw argumentError(`${name} needs a library of ABI 3 or later; the loaded library is ABI ${abiVersion}`);
  return fn;
}

/**
 * Promise form of a session call: the native call (the `_ex` function `fnOf()` returns) on a libuv worker
 * thread, abortable by `hooks.signal`. What `fnOf` or the arguments throw rejects the promise.
 */
function sessionAsync(fnOf, session, options, hooks, wrap) {
  let fn;
  let args;
  try {
    fn = fnOf();
    args = sessionArgs(session, options);
  } catch (e) {
    return Promise.reject(e);
  }
  return withSignal(hooks, () => callAsync(fn, ...args)).then(({ text }) => wrap(JSON.parse(text)));
}

const asSession = (obj) => new Session(obj);
const asObject = (obj) => obj;

/**
 * Asks the service whether the session is still good (intl: GET {api_base_url}/intl/gateway/web/v2/user;
 * mainland: nav and cookie/info; a TV token: oauth2/info), on a worker thread. Resolves with a Session whose
 * `status` is 'valid' or 'expired' (both are answers, not errors): the session to save from now on
 * (`renewed` says the service set new values; `refreshNeeded` for a mainland session). Rejects with
 * BiliQrError (ERR_ARGUMENT for a session without SESSDATA, with nothing sent; network, HTTP, API errors),
 * or `signal.reason` when `signal` aborts (the request in flight still ends within timeout_ms; its result
 * is released).
 */
function check(session, options, hooks = {}) {
  return sessionAsync(() => native.check, session, options, hooks, asSession);
}

/** check() on the calling thread (blocks it for the request); throws what check() rejects with. */
function checkSync(session, options) {
  return asSession(JSON.parse(callSync(native.check, ...sessionArgs(session, options)).text));
}

/**
 * Ends the session at the service (intl: POST {base_url}/x/intl/passport-login/web/login/exit with the csrf
 * token; mainland: login/exit/v2), on a worker thread. Resolves with {status: 'logged_out' | 'expired', code,
 * message} ('expired': it had already ended). Rejects with BiliQrError: ERR_ARGUMENT without bili_jct,
 * ERR_API when the csrf token did not match, network/HTTP errors; or `signal.reason` when `signal` aborts.
 */
function logout(session, options, hooks = {}) {
  return sessionAsync(() => native.logout, session, options, hooks, asObject);
}

/** logout() on the calling thread; throws what logout() rejects with. */
function logoutSync(session, options) {
  return JSON.parse(callSync(native.logout, ...sessionArgs(session, options)).text);
}

/**
 * Renews a mainland session (ABI 3), on a worker thread: a web session's cookies (cookie/info, correspond
 * page, cookie/refresh) or a TV session's token (oauth2/refresh_token). Resolves with the new Session,
 * `status` 'refreshed' (with `refreshToken`, `previousRefreshToken` and `warnings`), or the session as given
 * with `status` 'expired' when the service said it has ended. The old web session is NOT retired: save the
 * new one, then call refreshConfirm() with it (a TV token has no confirmation step). Rejects with BiliQrError
 * (ERR_ARGUMENT for an intl session or one still awaiting its confirmation, with nothing sent; HTTP, API,
 * network errors: the old session then still works) or `signal.reason`.
 */
function refresh(session, options, hooks = {}) {
  return refreshCall(native.refresh, 'refresh', session, options, hooks);
}

/** refresh() on the calling thread; throws what refresh() rejects with. */
function refreshSync(session, options) {
  return refreshCallSync(native.refresh, 'refreshSync', session, options);
}

/**
 * Retires the session a refresh() replaced (ABI 3); call it with the refreshed session once that is saved.
 * Resolves with the Session to save in its place (`status` 'confirmed', no `previousRefreshToken`), or with
 * `status` 'expired'. Rejects with BiliQrError (ERR_ARGUMENT without `previous_refresh_token`, nothing sent;
 * ERR_API for a csrf mismatch) or `signal.reason`.
 */
function refreshConfirm(session, options, hooks = {}) {
  return refreshCall(native.refreshConfirm, 'refreshConfirm', session, options, hooks);
}

/** refreshConfirm() on the calling thread; throws what refreshConfirm() rejects with. */
function refreshConfirmSync(session, options) {
  return refreshCallSync(native.refreshConfirm, 'refreshConfirmSync', session, options);
}

/** refresh() or refreshConfirm() (`name`) through the library's `fn`: a rejection when it predates ABI 3. */
function refreshCall(fn, name, session, options, hooks) {
  return sessionAsync(() => refreshFn(fn, name), session, options, hooks, asSession);
}

/** refreshSync() or refreshConfirmSync() (`name`) through the library's `fn`. */
function refreshCallSync(fn, name, session, options) {
  return asSession(JSON.parse(callSync(refreshFn(fn, name), ...sessionArgs(session, options)).text));
}

// The session calls as methods too: session.check(options, hooks) is check(session, options, hooks), and so on
// for checkSync, logout, logoutSync, refresh, refreshSync, refreshConfirm and refreshConfirmSync (non-enumerable,
// like the class's own methods).
for (const fn of [check, checkSync, logout, logoutSync, refresh, refreshSync, refreshConfirm, refreshConfirmSync]) {
  Object.defineProperty(Session.prototype, fn.name, {
    value(...args) {
      return fn(this, ...args);
    },
    writable: true,
    configurable: true,
  });
}

/** Converts a session between the library's formats without a Session: convertSession(text, 'netscape'). */
function convertSession(session, format) {
  return callSync(native.convert, sessionText(session), formatArg(format)).text;
}

function isTokenObject(token) {
  return !!token && typeof token === 'object' && typeof token.access_token === 'string' && typeof token.refresh_token === 'string';
}

module.exports = {
  Session,
  check,
  checkSync,
  logout,
  logoutSync,
  refresh,
  refreshSync,
  refreshConfirm,
  refreshConfirmSync,
  convertSession,
  saveText,
};

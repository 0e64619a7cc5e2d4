'use strict';
// After the login (issue 15): a saved session, checked, renewed, ended. The formats (JSON session object,
// Cookie header, Netscape cookies.txt) are the library's own (bili_qr_session_convert): this binding has no
// cookie writer or parser of its own.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { native, callSync, callAsync } = require('./native');
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

/** Writes `text` to `file` atomically: a temporary file beside it (mode 0600), fsync, rename, fsync of the folder. */
function writeAtomic(file, text) {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  let fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600); // whatever the umask: the file holds session cookies
    fs.writeFileSync(fd, text, 'utf8');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dfd = fs.openSync(dir, 'r'); // make the rename itself durable (not possible on Windows)
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch (e) {
    if (process.platform !== 'win32') throw e;
  }
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
    if (!data || typeof data !== 'object' || !Array.isArray(data.cookies) || typeof data.cookie_header !== 'string') {
      throw argumentError('a Session is made from a session object with cookies and cookie_header (use Session.from)');
    }
    this.#data = data;
  }

  /** A session from a login result, a session object, a Cookie header or the text of a cookies.txt. */
  static from(session) {
    const { text } = callSync(native.convert, sessionText(session), 'json');
    return new Session(JSON.parse(text));
  }

  /** Reads a session file: a cookies.txt (Netscape) or a JSON session/login object. */
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

  /** after check(): 'valid' or 'expired'; otherwise undefined */
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
   * Writes the session to `file` atomically with mode 0600. `format`: 'json', 'netscape' or 'header';
   * by default 'json' for a name ending in `.json`, else 'netscape' (cookies.txt).
   */
  save(file, { format } = {}) {
    const fmt = format === undefined ? (String(file).toLowerCase().endsWith('.json') ? 'json' : 'netscape') : format;
    let text = this.format(fmt);
    if (fmt === 'header' && !text.endsWith('\n')) text += '\n';
    writeAtomic(file, text);
  }

  /** check(this, options, hooks) */
  check(options, hooks) {
    return check(this, options, hooks);
  }

  /** logout(this, options) */
  logout(options) {
    return logout(this, options);
  }

  /** console.log and util.inspect show the cookie names, never their values. */
  [util.inspect.custom]() {
    const d = this.#data;
    const shown = { mid: this.mid, host: this.host, cookies: d.cookies.map((c) => c.name) };
    if (d.status !== undefined) Object.assign(shown, { status: d.status, renewed: this.renewed, name: this.name });
    return `Session ${util.inspect(shown)}`;
  }
}

/**
 * Asks the service whether the session is still good (GET {api_base_url}/intl/gateway/web/v2/user), on a
 * worker thread. Resolves with a Session whose `status` is 'valid' or 'expired' (both are answers, not
 * errors): the session to save from now on (`renewed` says the service set new values). Rejects with
 * BiliQrError (ERR_ARGUMENT for a session without SESSDATA, with nothing sent; network, HTTP, API errors),
 * or `signal.reason` when `signal` aborts (the request in flight still ends within timeout_ms; its result
 * is released).
 */
function check(session, options, hooks = {}) {
  let args;
  try {
    args = [sessionText(session), optionsJson(options)];
  } catch (e) {
    return Promise.reject(e);
  }
  return withSignal(hooks, () => callAsync(native.check, ...args)).then(({ text }) => new Session(JSON.parse(text)));
}

/**
 * Ends the session at the service (POST {base_url}/x/intl/passport-login/web/login/exit with the csrf
 * token), on a worker thread. Resolves with {status: 'logged_out' | 'expired', code, message} ('expired':
 * it had already ended). Rejects with BiliQrError: ERR_ARGUMENT without bili_jct, ERR_API when the csrf
 * token did not match, network/HTTP errors.
 */
function logout(session, options) {
  let args;
  try {
    args = [sessionText(session), optionsJson(options)];
  } catch (e) {
    return Promise.reject(e);
  }
  return callAsync(native.logout, ...args).then(({ text }) => JSON.parse(text));
}

/** Converts a session between the library's formats without a Session: convertSession(text, 'netscape'). */
function convertSession(session, format) {
  return callSync(native.convert, sessionText(session), formatArg(format)).text;
}

module.exports = { Session, check, logout, convertSession, writeAtomic };

'use strict';
// Node binding of bili_qr (C ABI version 1, see include/bili_qr.h) over koffi.
//
// Memory rule: every string the library hands out through an out-parameter is received as an opaque
// pointer (`_Out_ void **`), copied into a JS string, and released with bili_qr_free in a `finally`
// block — also when decoding or JSON parsing throws. Nothing else ever frees library memory.

const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');

const EXPECTED_ABI = 1;

const STATUS = Object.freeze({
  OK: 0,
  WAITING: 1,
  SCANNED: 2,
  EXPIRED: 3,
  ERR_ARGUMENT: -1,
  ERR_NETWORK: -2,
  ERR_TIMEOUT: -3,
  ERR_HTTP: -4,
  ERR_PROTOCOL: -5,
  ERR_API: -6,
  ERR_CANCELLED: -7,
  ERR_INTERNAL: -8,
});
const CODE_BY_STATUS = new Map(Object.entries(STATUS).map(([name, value]) => [value, name]));

function statusCode(status) {
  return CODE_BY_STATUS.get(status) || 'ERR_UNKNOWN';
}

class BiliQrError extends Error {
  constructor(status, message, options) {
    super(message, options);
    this.name = 'BiliQrError';
    /** the library's status code (negative for errors, 3 for an expired ticket) */
    this.status = status;
    /** the status' name, e.g. 'ERR_HTTP' */
    this.code = statusCode(status);
  }
}

class ExpiredError extends BiliQrError {
  constructor(message, result) {
    super(STATUS.EXPIRED, message);
    this.name = 'ExpiredError';
    /** the expired poll object ({status: 'expired', code, message}) */
    this.result = result;
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

function libraryFileName() {
  if (process.platform === 'win32') return 'bili_qr.dll';
  if (process.platform === 'darwin') return 'libbili_qr.dylib';
  return 'libbili_qr.so';
}

const ASAR = `${path.sep}app.asar${path.sep}`;
const UNPACKED = `${path.sep}app.asar.unpacked${path.sep}`;

/** The places the library is looked for, in order (see README). */
function libraryCandidates() {
  const name = libraryFileName();
  const fromEnv = process.env.BILI_QR_LIBRARY;
  if (fromEnv) return [path.resolve(fromEnv)]; // explicit: no fallback that could pick a stale copy
  const prebuilt = path.join(__dirname, 'prebuilds', `${process.platform}-${process.arch}`, name);
  return [
    path.join(__dirname, '..', '..', 'target', 'release', name),
    // Electron: a library cannot be loaded from inside app.asar; packagers unpack it to app.asar.unpacked
    ...(prebuilt.includes(ASAR) ? [prebuilt.replace(ASAR, UNPACKED)] : []),
    prebuilt,
  ];
}

function loadLibrary() {
  const candidates = libraryCandidates();
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(
      `bili-qr: native library not found; looked at ${candidates.join(', ')}. ` +
        'Build it with `cargo build --release` or set BILI_QR_LIBRARY to its path.',
    );
  }
  let lib;
  try {
    lib = koffi.load(found);
  } catch (e) {
    throw new Error(`bili-qr: cannot load native library ${found}: ${e.message}`, { cause: e });
  }
  let abiVersion;
  try {
    abiVersion = lib.func('int bili_qr_abi_version(void)')();
  } catch (e) {
    throw new Error(`bili-qr: ${found} does not export bili_qr_abi_version; it is not a bili_qr library`, {
      cause: e,
    });
  }
  if (abiVersion !== EXPECTED_ABI) {
    throw new Error(
      `bili-qr: ${found} implements bili_qr ABI version ${abiVersion}, but this package needs version ` +
        `${EXPECTED_ABI}; install a matching library (a stale copy in a plugins or prebuilds folder?)`,
    );
  }
  return { lib, found, abiVersion };
}

const { lib, found: libraryPath, abiVersion } = loadLibrary();

const ProgressFn = koffi.proto('int bili_qr_progress_fn(int status, const char *event_json, void *user_data)');

const native = {
  version: lib.func('const char *bili_qr_version(void)'),
  statusStr: lib.func('const char *bili_qr_status_str(int status)'),
  lastError: lib.func('const char *bili_qr_last_error(void)'),
  start: lib.func('int bili_qr_start(const char *options_json, _Out_ void **out_json)'),
  poll: lib.func('int bili_qr_poll(const char *ticket, const char *options_json, _Out_ void **out_json)'),
  free: lib.func('void bili_qr_free(void *s)'),
  wait: lib.func(
    'int bili_qr_wait(const char *ticket, const char *options_json, bili_qr_progress_fn *on_progress, ' +
      'void *user_data, _Out_ void **out_json)',
  ),
  cancel: lib.func('int bili_qr_cancel(const char *ticket)'),
  render: lib.func('int bili_qr_render(const char *text, const char *format, _Out_ void **out)'),
};

// ---------------------------------------------------------------------------------------------
// Helpers

/** Copies the library string at `ptr` (UTF-8, NUL-terminated) and always releases it. */
function takeString(ptr) {
  if (ptr === null || ptr === undefined || ptr === 0n) return null;
  try {
    return koffi.decode(ptr, 'char', -1);
  } finally {
    native.free(ptr);
  }
}

function takeJson(ptr) {
  const text = takeString(ptr);
  if (text === null) return null;
  return JSON.parse(text);
}

function argumentError(message) {
  return new BiliQrError(STATUS.ERR_ARGUMENT, message);
}

/** A JS string as the library receives it; a NUL inside would silently truncate it, so refuse it. */
function cString(value, what) {
  if (typeof value !== 'string') throw argumentError(`${what} must be a string, got ${typeof value}`);
  if (value.includes('\0')) throw argumentError(`${what} must not contain a NUL character`);
  return value;
}

/** options: undefined/null, a JSON string, or a plain object (keys as in ABI.md: base_url, timeout_ms, ...). */
function optionsJson(options) {
  if (options === undefined || options === null) return null;
  if (typeof options === 'string') return cString(options, 'options');
  if (typeof options === 'object' && !Array.isArray(options)) {
    const clean = {};
    for (const [key, value] of Object.entries(options)) if (value !== undefined) clean[key] = value;
    return cString(JSON.stringify(clean), 'options');
  }
  throw argumentError('options must be an object, a JSON string, null or undefined');
}

function ticketString(ticket) {
  if (ticket && typeof ticket === 'object' && typeof ticket.ticket === 'string') ticket = ticket.ticket;
  return cString(ticket, 'ticket');
}

/** First 6 characters only: tickets are credentials until they expire. */
function shortTicket(ticket) {
  const m = /[?&]ticket=([^&#]*)/.exec(ticket); // a qr_url: show its ticket, not "https:"
  const bare = m ? m[1] : ticket;
  return bare.length > 6 ? `${bare.slice(0, 6)}…` : bare;
}

/** Error for a status < 0 returned on this (the main) thread: the library's message is still current. */
function syncError(status) {
  let message = native.lastError();
  if (!message) message = native.statusStr(status);
  return new BiliQrError(status, message);
}

/**
 * Error for a status < 0 returned by an async call. bili_qr_last_error() is per thread and the call ran on
 * a libuv worker thread, so its message is out of reach from here: the message is the status' phrase
 * plus what was being done.
 */
function asyncError(status, what) {
  return new BiliQrError(status, `${what}: ${native.statusStr(status)} (${statusCode(status)})`);
}

// ---------------------------------------------------------------------------------------------
// API

/** Version string of the loaded native library, e.g. "0.1.0". */
function version() {
  return native.version();
}

/** English phrase for a status code. */
function statusString(status) {
  return native.statusStr(status | 0);
}

/** Asks for a new QR code. Returns {ticket, qr_url, qr_type}. Throws BiliQrError. */
function start(options) {
  const opts = optionsJson(options);
  const out = [null];
  const status = native.start(opts, out);
  if (status < 0) {
    takeString(out[0]); // stays NULL by contract; released anyway should that ever change
    throw syncError(status);
  }
  return takeJson(out[0]);
}

/** Asks once for the state of a ticket. Returns the poll object (status waiting/scanned/expired/confirmed). */
function poll(ticket, options) {
  const t = ticketString(ticket);
  const opts = optionsJson(options);
  const out = [null];
  const status = native.poll(t, opts, out);
  if (status < 0) {
    takeString(out[0]);
    throw syncError(status);
  }
  return takeJson(out[0]);
}

function callAsync(fn, args, what) {
  return new Promise((resolve, reject) => {
    const out = [null];
    fn.async(...args, out, (err, status) => {
      if (err) {
        reject(err);
        return;
      }
      try {
        if (status < 0) {
          takeString(out[0]);
          reject(asyncError(status, what));
          return;
        }
        resolve(takeJson(out[0]));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** start() on a worker thread. Error messages are the status phrase only (see README). */
function startAsync(options) {
  try {
    return callAsync(native.start, [optionsJson(options)], 'bili_qr_start');
  } catch (e) {
    return Promise.reject(e);
  }
}

/** poll() on a worker thread. Error messages are the status phrase only (see README). */
function pollAsync(ticket, options) {
  try {
    return callAsync(native.poll, [ticketString(ticket), optionsJson(options)], 'bili_qr_poll');
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Draws text as a QR code: format 'utf8' (default), 'svg' or 'matrix'. Returns a string. */
function render(text, format = 'utf8') {
  const t = cString(text, 'text');
  const f = cString(format, 'format');
  const out = [null];
  const status = native.render(t, f, out);
  if (status < 0) {
    takeString(out[0]);
    throw syncError(status);
  }
  return takeString(out[0]);
}

/** Ends every wait running on this ticket in this process. Returns how many were signalled. */
function cancel(ticket) {
  const status = native.cancel(ticketString(ticket));
  if (status < 0) throw syncError(status);
  return status;
}

function abortReason(signal) {
  if (signal.reason !== undefined) return signal.reason;
  const e = new Error('This operation was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * Waits until the login ends, polling every poll_interval_ms, on a libuv worker thread (the event loop
 * keeps running). Resolves with the confirmed Login; rejects with ExpiredError (status 3), BiliQrError,
 * `signal.reason` when the signal aborts, BiliQrError ERR_CANCELLED (-7) when onProgress returns false,
 * or the exception onProgress threw.
 *
 * @param {string|{ticket:string}} ticket
 * @param {object|string} [options]
 * @param {{onProgress?: (event: object) => (boolean|void), signal?: AbortSignal}} [hooks]
 */
function wait(ticket, options, hooks = {}) {
  let t;
  let opts;
  try {
    t = ticketString(ticket);
    opts = optionsJson(options);
    if (hooks === null || typeof hooks !== 'object') throw argumentError('the third argument must be an object');
  } catch (e) {
    return Promise.reject(e);
  }
  const { onProgress, signal } = hooks;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    return Promise.reject(argumentError('onProgress must be a function'));
  }
  if (signal !== undefined && !(signal && typeof signal.addEventListener === 'function')) {
    return Promise.reject(argumentError('signal must be an AbortSignal'));
  }
  if (signal && signal.aborted) return Promise.reject(abortReason(signal));

  return new Promise((resolve, reject) => {
    let settled = false;
    let aborted = false;
    let callbackError = null;
    let hasCallbackError = false;

    const settle = (fn, value) => {
      if (settled) return;
      settled = true;
      fn(value);
    };

    // Runs on the main thread: koffi relays the call from the worker thread and the worker blocks
    // until it returns. Returning non-zero makes bili_qr_wait end with ERR_CANCELLED.
    const progress = (status, eventJson) => {
      if (aborted || hasCallbackError) return 1;
      if (!onProgress) return 0;
      try {
        const event = JSON.parse(eventJson);
        return onProgress(event) === false ? 1 : 0;
      } catch (e) {
        callbackError = e;
        hasCallbackError = true;
        return 1;
      }
    };
    const cb = koffi.register(progress, koffi.pointer(ProgressFn));

    const onAbort = () => {
      if (aborted) return;
      aborted = true;
      try {
        native.cancel(t); // ends this wait (and any other wait on the same ticket in this process)
      } finally {
        // Reject now: a wait still queued behind busy worker threads, or with a request in flight,
        // may take longer to return; its result is released when it does.
        settle(reject, abortReason(signal));
      }
    };
    if (signal) signal.addEventListener('abort', onAbort, { once: true });

    const out = [null];
    const done = (err, status) => {
      if (signal) signal.removeEventListener('abort', onAbort);
      koffi.unregister(cb);
      let text;
      try {
        text = err ? null : takeString(out[0]);
      } catch (e) {
        settle(reject, e);
        return;
      }
      if (err) return settle(reject, err);
      if (hasCallbackError) return settle(reject, callbackError);
      if (aborted) return settle(reject, abortReason(signal));
      try {
        if (status === STATUS.OK) return settle(resolve, JSON.parse(text));
        if (status === STATUS.EXPIRED) {
          const result = text ? JSON.parse(text) : null;
          return settle(reject, new ExpiredError(`the QR code for ticket ${shortTicket(t)} expired; start a new one`, result));
        }
        if (status === STATUS.ERR_CANCELLED) {
          return settle(reject, new BiliQrError(status, `the wait for ticket ${shortTicket(t)} was cancelled`));
        }
        return settle(reject, asyncError(status, `bili_qr_wait (ticket ${shortTicket(t)})`));
      } catch (e) {
        return settle(reject, e);
      }
    };
    try {
      native.wait.async(t, opts, cb, null, out, done);
    } catch (e) {
      if (signal) signal.removeEventListener('abort', onAbort);
      koffi.unregister(cb);
      settle(reject, e);
    }
  });
}

module.exports = {
  start,
  startAsync,
  poll,
  pollAsync,
  wait,
  cancel,
  render,
  version,
  statusString,
  BiliQrError,
  ExpiredError,
  STATUS,
  ABI_VERSION: abiVersion,
  libraryPath,
};

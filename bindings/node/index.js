'use strict';
// Node binding of bili_qr (C ABI version 2 or later, see docs/ABI.md and include/bili_qr.h) over koffi.
// Every call that talks to the service returns a Promise under its plain name (the work runs on a libuv
// worker thread, the event loop keeps running) and has a `…Sync` twin that blocks the calling thread, as
// Node's own readFile/readFileSync. lib/native.js loads the library and calls it (the `_ex` functions: the library's error message comes
// back with the result on every thread); lib/session.js is the session after the login.

const { STATUS, BiliQrError, ExpiredError, argumentError } = require('./lib/errors');
const { koffi, abiVersion, libraryPath, native, ProgressFn, takeString, callSync, callAsync, libraryError } = require('./lib/native');
const { cString, optionsJson, ticketString, shortTicket, abortReason, checkHooks } = require('./lib/args');
const util = require('node:util');
const { resultObject } = require('./lib/result');
const session = require('./lib/session');

const { Session, convertSession } = session;

/** Version string of the loaded native library, e.g. "0.2.0". */
function version() {
  return native.version();
}

/** English phrase for a status code (a 32-bit integer; anything else throws BiliQrError ERR_ARGUMENT). */
function statusString(status) {
  if (!Number.isInteger(status) || (status | 0) !== status) throw argumentError(`status must be an integer, got ${typeof status === 'number' ? status : typeof status}`);
  return native.statusStr(status);
}

/** Asks for a new QR code on a worker thread. Resolves with {ticket, qr_url, qr_type}; rejects with BiliQrError. */
function start(options) {
  try {
    return callAsync(native.start, optionsJson(options)).then(({ text }) => resultObject(text));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** start() on the calling thread (blocks it for one HTTP request); throws the same BiliQrError (and message). */
function startSync(options) {
  return resultObject(callSync(native.start, optionsJson(options)).text);
}

/**
 * Asks once for the state of a ticket, on a worker thread. Resolves with the poll object (status waiting,
 * scanned, expired or confirmed: an expired ticket is a result, not an error).
 */
function poll(ticket, options) {
  try {
    return callAsync(native.poll, ticketString(ticket), optionsJson(options)).then(({ text }) => resultObject(text));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** poll() on the calling thread (blocks it for one HTTP request); throws the same BiliQrError (and message). */
function pollSync(ticket, options) {
  return resultObject(callSync(native.poll, ticketString(ticket), optionsJson(options)).text);
}

/** Draws text as a QR code: format 'utf8' (default), 'svg' or 'matrix'. Returns a string. */
function render(text, format = 'utf8') {
  return callSync(native.render, cString(text, 'text'), cString(format, 'format')).text;
}

/**
 * Ends every wait running on this ticket in this process. Returns how many were signalled. When none runs, the
 * library keeps the cancel for 30 seconds and the next wait on that ticket rejects at once with ERR_CANCELLED.
 */
function cancel(ticket) {
  const status = native.cancel(ticketString(ticket));
  // bili_qr_cancel has no _ex twin; this runs on the calling thread, so its message is still current
  if (status < 0) throw libraryError(status, native.lastError());
  return status;
}

/**
 * Waits until the login ends, polling every poll_interval_ms, on a libuv worker thread (the event loop
 * keeps running). Resolves with the confirmed Login; rejects with ExpiredError (status 3), BiliQrError
 * (with the library's message), `signal.reason` when the signal aborts, BiliQrError ERR_CANCELLED (-7)
 * when onProgress returns false, or the exception onProgress threw.
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
    checkHooks(hooks);
  } catch (e) {
    return Promise.reject(e);
  }
  const { onProgress, signal } = hooks;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    return Promise.reject(argumentError('onProgress must be a function'));
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
        const event = resultObject(eventJson);
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
    const err = [null];
    const done = (e, status) => {
      if (signal) signal.removeEventListener('abort', onAbort);
      koffi.unregister(cb);
      let text;
      let message;
      try {
        try {
          text = e ? null : takeString(out[0]);
        } finally {
          message = e ? null : takeString(err[0]);
        }
      } catch (x) {
        settle(reject, x);
        return;
      }
      if (e) return settle(reject, e);
      if (hasCallbackError) return settle(reject, callbackError);
      if (aborted) return settle(reject, abortReason(signal));
      try {
        if (status === STATUS.OK) return settle(resolve, resultObject(text));
        if (status === STATUS.EXPIRED) {
          const result = text ? resultObject(text) : null;
          return settle(reject, new ExpiredError(`the QR code for ticket ${shortTicket(t)} expired; start a new one`, result));
        }
        return settle(reject, libraryError(status, message));
      } catch (x) {
        return settle(reject, x);
      }
    };
    try {
      native.wait.async(t, opts, cb, null, out, err, done);
    } catch (x) {
      if (signal) signal.removeEventListener('abort', onAbort);
      koffi.unregister(cb);
      settle(reject, x);
    }
  });
}

/**
 * wait() on the calling thread: blocks it (and the event loop) until the login ends. `onProgress` runs on
 * this thread between polls; there is no AbortSignal (nothing else can run to abort it): return false from
 * onProgress, or call cancel(ticket) from a worker_thread. Returns the Login; throws what wait() rejects with.
 */
function waitSync(ticket, options, hooks = {}) {
  const t = ticketString(ticket);
  const opts = optionsJson(options);
  checkHooks(hooks);
  const { onProgress, signal } = hooks;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw argumentError('onProgress must be a function');
  if (signal !== undefined) throw argumentError('waitSync takes no signal: use wait() to abort');
  let callbackError = null;
  let hasCallbackError = false;
  const progress = (status, eventJson) => {
    if (hasCallbackError) return 1;
    if (!onProgress) return 0;
    try {
      return onProgress(resultObject(eventJson)) === false ? 1 : 0;
    } catch (e) {
      callbackError = e;
      hasCallbackError = true;
      return 1;
    }
  };
  const cb = koffi.register(progress, koffi.pointer(ProgressFn));
  const out = [null];
  const err = [null];
  let status;
  try {
    status = native.wait(t, opts, cb, null, out, err);
  } finally {
    koffi.unregister(cb);
  }
  let text;
  let message;
  try {
    text = takeString(out[0]);
  } finally {
    message = takeString(err[0]);
  }
  if (hasCallbackError) throw callbackError;
  if (status === STATUS.OK) return resultObject(text);
  if (status === STATUS.EXPIRED) {
    throw new ExpiredError(`the QR code for ticket ${shortTicket(t)} expired; start a new one`, text ? resultObject(text) : null);
  }
  throw libraryError(status, message);
}

const DEPRECATED = 'BILIQR_DEP_ASYNC';
/** Deprecated alias of start() (the promise form moved to the plain name; see CHANGELOG.md); removed in the next release. */
const startAsync = util.deprecate((options) => start(options), 'bili-qr: startAsync() is deprecated; start() now returns the Promise (startSync() blocks)', DEPRECATED);
/** Deprecated alias of poll() (the promise form moved to the plain name; see CHANGELOG.md); removed in the next release. */
const pollAsync = util.deprecate((ticket, options) => poll(ticket, options), 'bili-qr: pollAsync() is deprecated; poll() now returns the Promise (pollSync() blocks)', DEPRECATED);

module.exports = {
  start,
  startSync,
  startAsync,
  poll,
  pollSync,
  pollAsync,
  wait,
  waitSync,
  cancel,
  render,
  check: session.check,
  checkSync: session.checkSync,
  logout: session.logout,
  logoutSync: session.logoutSync,
  refresh: session.refresh,
  refreshSync: session.refreshSync,
  refreshConfirm: session.refreshConfirm,
  refreshConfirmSync: session.refreshConfirmSync,
  Session,
  convertSession,
  version,
  statusString,
  BiliQrError,
  ExpiredError,
  STATUS,
  ABI_VERSION: abiVersion,
  libraryPath,
};

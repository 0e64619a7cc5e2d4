'use strict';
// Node binding of bili_qr (C ABI version 2 or later, see docs/ABI.md and include/bili_qr.h) over koffi.
// lib/native.js loads the library and calls it (the `_ex` functions: the library's error message comes
// back with the result on every thread); lib/session.js is the session after the login.

const { STATUS, BiliQrError, ExpiredError, argumentError } = require('./lib/errors');
const { koffi, abiVersion, libraryPath, native, ProgressFn, takeString, callSync, callAsync, libraryError } = require('./lib/native');
const { cString, optionsJson, ticketString, shortTicket, abortReason, checkHooks } = require('./lib/args');
const { Session, check, logout, convertSession } = require('./lib/session');

/** Version string of the loaded native library, e.g. "0.2.0". */
function version() {
  return native.version();
}

/** English phrase for a status code. */
function statusString(status) {
  return native.statusStr(status | 0);
}

/** Asks for a new QR code. Returns {ticket, qr_url, qr_type}. Throws BiliQrError. */
function start(options) {
  return JSON.parse(callSync(native.start, optionsJson(options)).text);
}

/** Asks once for the state of a ticket. Returns the poll object (status waiting/scanned/expired/confirmed). */
function poll(ticket, options) {
  return JSON.parse(callSync(native.poll, ticketString(ticket), optionsJson(options)).text);
}

/** start() on a worker thread; rejects with the same BiliQrError (and message) as start() would throw. */
function startAsync(options) {
  try {
    return callAsync(native.start, optionsJson(options)).then(({ text }) => JSON.parse(text));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** poll() on a worker thread; rejects with the same BiliQrError (and message) as poll() would throw. */
function pollAsync(ticket, options) {
  try {
    return callAsync(native.poll, ticketString(ticket), optionsJson(options)).then(({ text }) => JSON.parse(text));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Draws text as a QR code: format 'utf8' (default), 'svg' or 'matrix'. Returns a string. */
function render(text, format = 'utf8') {
  return callSync(native.render, cString(text, 'text'), cString(format, 'format')).text;
}

/** Ends every wait running on this ticket in this process. Returns how many were signalled. */
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
        if (status === STATUS.OK) return settle(resolve, JSON.parse(text));
        if (status === STATUS.EXPIRED) {
          const result = text ? JSON.parse(text) : null;
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

module.exports = {
  start,
  startAsync,
  poll,
  pollAsync,
  wait,
  cancel,
  render,
  check,
  logout,
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

'use strict';
// Arguments as the library receives them, checked on the JS side where C could not tell (a NUL inside a
// string would silently truncate it), and the AbortSignal plumbing of the async calls.

const { argumentError } = require('./errors');

/** A JS string as the library receives it; a NUL inside would silently truncate it, so refuse it. */
function cString(value, what) {
  if (typeof value !== 'string') throw argumentError(`${what} must be a string, got ${typeof value}`);
  if (value.includes('\0')) throw argumentError(`${what} must not contain a NUL character`);
  return value;
}

/** options: undefined/null, a JSON string, or a plain object (keys as in docs/ABI.md: base_url, timeout_ms, ...). */
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

function abortReason(signal) {
  if (signal.reason !== undefined) return signal.reason;
  const e = new Error('This operation was aborted');
  e.name = 'AbortError';
  return e;
}

function checkHooks(hooks) {
  if (hooks === null || typeof hooks !== 'object') throw argumentError('the hooks argument must be an object');
  const { signal } = hooks;
  if (signal !== undefined && !(signal && typeof signal.addEventListener === 'function')) {
    throw argumentError('signal must be an AbortSignal');
  }
  return hooks;
}

/**
 * Runs `run()` (a promise of a native call) unless `hooks.signal` is already aborted; an abort rejects at
 * once with `signal.reason`. The native call still ends on its own (within timeout_ms) and its strings are
 * released then.
 */
function withSignal(hooks, run) {
  let signal;
  try {
    ({ signal } = checkHooks(hooks));
  } catch (e) {
    return Promise.reject(e);
  }
  if (!signal) return run();
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    run().then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

module.exports = { cString, optionsJson, ticketString, shortTicket, abortReason, checkHooks, withSignal };

'use strict';
// Status codes (the BILI_QR_* constants of include/bili_qr.h; test/contract.test.js checks them against the
// header) and the error types.

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

/**
 * Everything the library reports. `message` is the library's own text (what failed and what to do), on
 * every thread: the binding calls the `_ex` functions, which hand it out with the result.
 */
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

function argumentError(message) {
  return new BiliQrError(STATUS.ERR_ARGUMENT, message);
}

module.exports = { STATUS, statusCode, BiliQrError, ExpiredError, argumentError };

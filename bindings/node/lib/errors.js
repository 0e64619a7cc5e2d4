'use strict';
// Status codes (the BILI_QR_* constants of include/bili_qr.h, generated from abi/bili_qr.toml into lib/abi.js)
// and the error types.

const { STATUS } = require('./abi');
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

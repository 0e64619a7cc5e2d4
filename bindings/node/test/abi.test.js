'use strict';
// The binding's generated copy of the contract (lib/abi.js, from abi/bili_qr.toml) against the library actually
// loaded: every status has the library's phrase, every option the binding types is one the library knows and
// checks, and an unknown key is refused. No network: options are checked before anything is sent.
const test = require('node:test');
const assert = require('node:assert/strict');
const biliQr = require('..');
const { STATUS, OPTION_TYPES, ABI_VERSION } = require('../lib/abi');

const WRONG = { string: 5, integer: 'five', bool: 'yes' };

test('every status code of the binding has its phrase in the library', () => {
  const phrases = new Set();
  for (const [name, value] of Object.entries(STATUS)) {
    const phrase = biliQr.statusString(value);
    assert.notEqual(phrase, 'unknown status', name);
    phrases.add(phrase);
  }
  assert.equal(phrases.size, Object.keys(STATUS).length, 'one phrase per status');
  assert.equal(biliQr.statusString(-99), 'unknown status');
  assert.equal(biliQr.STATUS, STATUS);
});

test('statusString: a status that is not an integer is ERR_ARGUMENT, not the phrase of 0', () => {
  for (const bad of ['x', '-4', null, undefined, 1.5, NaN, 2 ** 40, {}]) {
    assert.throws(() => biliQr.statusString(bad), (e) => e instanceof biliQr.BiliQrError && e.status === STATUS.ERR_ARGUMENT, String(bad));
  }
});

test('every option of the binding is one the library checks', () => {
  for (const [key, kind] of Object.entries(OPTION_TYPES)) {
    assert.throws(
      () => biliQr.startSync({ [key]: WRONG[kind] }),
      (e) => e instanceof biliQr.BiliQrError && e.code === 'ERR_ARGUMENT' && e.message.includes(key)
        && !e.message.includes('unknown option'),
      key,
    );
  }
  assert.throws(() => biliQr.startSync({ no_such_option: 1 }), /unknown option/);
});

test('the loaded library serves the ABI of the binding', () => {
  assert.ok(biliQr.ABI_VERSION >= ABI_VERSION);
});

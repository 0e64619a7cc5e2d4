'use strict';
// A confirmed login whose optional fields are missing, null or odd is still a login; the binding
// hands the nulls and the warnings on (index.d.ts: `| null`, `warnings: string[]`, `host`, `verified?`).
const test = require('node:test');
const assert = require('node:assert/strict');
const { scenario, useFakeServer } = require('./helpers');
const biliQr = require('..');

const server = useFakeServer();

function confirm(spec, extra = {}) {
  const options = { base_url: server.url(scenario(`flow=c,${spec}`)), ...extra };
  const qr = biliQr.startSync(options);
  return { login: biliQr.pollSync(qr.ticket, options), options, qr };
}

function assertSession(login) {
  assert.equal(login.status, 'confirmed');
  assert.equal(login.code, 0);
  for (const name of ['SESSDATA', 'bili_jct', 'DedeUserID']) {
    assert.ok(login.cookies.some((c) => c.name === name), `${name} is there`);
  }
  assert.ok(Array.isArray(login.warnings), 'warnings is an array');
  for (const w of login.warnings) assert.equal(typeof w, 'string');
  assert.equal(login.host, '127.0.0.1');
}

test('a normal login: every field typed, no verified key without verify_login, a warning for the foreign cookie', () => {
  const { login } = confirm('id=plain,foreign=1');
  assertSession(login);
  assert.equal(login.mid, 1709658507);
  assert.equal(login.is_new, false);
  assert.equal(typeof login.go_url, 'string');
  assert.equal(login.user_profile.name, 'DemoUser');
  assert.ok(!('verified' in login));
  // the fake server's confirmed answer also sets ad_track for evil.example.com (dropped): one warning
  assert.equal(login.warnings.length, 1, JSON.stringify(login.warnings));
  assert.match(login.warnings[0], /evil\.example\.com/);
  for (const c of login.cookies) assert.ok(!login.warnings[0].includes(c.value), 'no cookie value in a warning');
});

test('console.log of a QR code and a confirmed login shows cookie names, never a value, token or whole ticket', () => {
  const util = require('node:util');
  const { login, qr } = confirm('id=plain');
  const printed = util.inspect(login, { depth: null }) + util.inspect(qr);
  assert.match(printed, /SESSDATA/);
  assert.match(printed, new RegExp(qr.ticket.slice(0, 6)));
  assert.ok(!printed.includes(qr.ticket), 'the ticket is shown by its start only');
  assert.ok(!printed.includes(login.cookie_header), 'no cookie header');
  for (const c of login.cookies) {
    // DedeUserID's value is the account number, shown as `mid`
    if (c.value.length >= 6 && c.value !== String(login.mid)) assert.ok(!printed.includes(c.value), `no value of ${c.name}`);
  }
  assert.ok(login.cookies.some((c) => c.name === 'SESSDATA' && c.value.length >= 6));
  // the plain object is unchanged for the program: its fields and its JSON
  assert.equal(JSON.parse(JSON.stringify(login)).cookie_header, login.cookie_header);
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(login))), Object.keys(login));
});

test('confirm=nulls: mid from DedeUserID, is_new/go_url/user_profile null', () => {
  const { login } = confirm('confirm=nulls');
  assertSession(login);
  assert.equal(login.mid, 1709658507, 'mid from the DedeUserID cookie');
  assert.equal(login.is_new, null);
  assert.equal(login.go_url, null);
  assert.equal(login.user_profile, null);
});

test('confirm=empty (data {}) and confirm=sparse (only mid) are logins', () => {
  for (const shape of ['empty', 'sparse']) {
    const { login } = confirm(`confirm=${shape}`);
    assertSession(login);
    assert.equal(login.mid, 1709658507, shape);
    assert.equal(login.is_new, null, shape);
    assert.equal(login.user_profile, null, shape);
  }
});

test('"code":"0" (a string) is confirmed, with the poll object keys kept', async () => {
  const { login } = confirm('codestr=1');
  assertSession(login);
  const options = { base_url: server.url(scenario('flow=sc,codestr=1')), poll_interval_ms: 100 };
  const waited = await biliQr.wait(biliQr.startSync(options), options); // the Electron-style caller
  assertSession(waited);
  assert.equal(waited.mid, 1709658507);
});

test('verify_login: verified true when the service accepts the session, false with a warning when it is down', () => {
  const { login } = confirm('id=verify2', { verify_login: true, api_base_url: server.url(scenario('flow=c')) });
  assertSession(login);
  assert.equal(login.verified, true);
  const down = confirm('id=verify3', { verify_login: true, api_base_url: server.url(scenario('verify=down')) });
  assertSession(down.login);
  assert.equal(down.login.verified, false);
  assert.ok(down.login.warnings.length >= 1, 'a warning says the check could not be made');
});

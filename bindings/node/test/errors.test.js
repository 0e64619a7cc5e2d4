'use strict';
// An async caller (koffi `.async`, as in Electron's main process) gets the library's own message,
// the same text a synchronous caller gets, for the fake server's 412, 429, captcha and missing-cookie
// faults; never a rebuilt "<what>: <status phrase>".
const test = require('node:test');
const assert = require('node:assert/strict');
const { scenario, useFakeServer, rejection, caught } = require('./helpers');
const biliQr = require('..');

const { BiliQrError, STATUS } = biliQr;

const server = useFakeServer();

/** The library's message: its own words, not the binding's status phrase. */
function assertLibraryMessage(e, status, pattern) {
  assert.ok(e instanceof BiliQrError, `expected a BiliQrError, got ${e && e.name}: ${e}`);
  assert.equal(e.status, status, e.message);
  assert.equal(e.code, Object.keys(STATUS).find((k) => STATUS[k] === status));
  assert.match(e.message, pattern);
  assert.notEqual(e.message, biliQr.statusString(status), 'more than the status phrase');
  assert.doesNotMatch(e.message, /\((ERR_[A-Z]+)\)$|^bili_qr_\w+:/, 'not a message rebuilt by the binding');
}

const FAULTS = [
  // fault, status, what the message must say (the library's advice included)
  ['412', STATUS.ERR_HTTP, /412.*(slow down|change network)/i],
  ['429', STATUS.ERR_HTTP, /429/],
  ['captcha', STATUS.ERR_API, /human verification \(captcha\).*(browser|change network)/i],
];

for (const [fault, status, pattern] of FAULTS) {
  test(`fault=${fault}: startSync/start and pollSync/poll/wait carry the same library message`, async () => {
    const sUrl = scenario(`fault=${fault},on=url`);
    const eStart = caught(() => biliQr.startSync({ base_url: server.url(sUrl) }));
    assertLibraryMessage(eStart, status, pattern);
    const eStartAsync = await rejection(biliQr.start({ base_url: server.url(sUrl) }));
    assertLibraryMessage(eStartAsync, status, pattern);
    assert.equal(eStartAsync.message, eStart.message, 'start: the same text as startSync');

    const sFetch = scenario(`fault=${fault},on=fetch`);
    const options = { base_url: server.url(sFetch), poll_interval_ms: 100, max_retries: 0, wait_timeout_ms: 5000 };
    const qr = biliQr.startSync(options);
    const ePoll = caught(() => biliQr.pollSync(qr.ticket, options));
    assertLibraryMessage(ePoll, status, pattern);
    const ePollAsync = await rejection(biliQr.poll(qr.ticket, options));
    assert.equal(ePollAsync.message, ePoll.message, 'poll: the same text as pollSync');
    assert.equal(ePollAsync.status, ePoll.status);
    const eWait = await rejection(biliQr.wait(qr.ticket, options));
    assertLibraryMessage(eWait, status, pattern);
    assert.ok(eWait.message.includes(ePoll.message), `wait: ${eWait.message}\npoll: ${ePoll.message}`);
    for (const e of [ePoll, ePollAsync, eWait]) {
      assert.ok(!e.message.includes(qr.ticket.slice(0, 7)), 'at most 6 characters of the ticket');
    }
  });
}

test('fault=partialcookies: a confirmed login without the session cookies, the same message sync and async', async () => {
  const sc = scenario('fault=partialcookies,flow=w');
  const options = { base_url: server.url(sc), poll_interval_ms: 100, wait_timeout_ms: 5000 };
  const qr = biliQr.startSync(options);
  const pattern = /bili_jct|DedeUserID|cookie/i;
  // the same ticket, confirmed again before each call, so the messages can be compared word for word
  await server.setState(sc, qr.ticket, 'confirmed');
  const ePoll = caught(() => biliQr.pollSync(qr.ticket, options));
  assertLibraryMessage(ePoll, STATUS.ERR_PROTOCOL, pattern);
  await server.setState(sc, qr.ticket, 'confirmed');
  const ePollAsync = await rejection(biliQr.poll(qr.ticket, options));
  assert.equal(ePollAsync.message, ePoll.message);
  await server.setState(sc, qr.ticket, 'confirmed');
  const eWait = await rejection(biliQr.wait(qr.ticket, options));
  assertLibraryMessage(eWait, STATUS.ERR_PROTOCOL, pattern);
  assert.ok(eWait.message.includes(ePoll.message), `wait: ${eWait.message}\npoll: ${ePoll.message}`);
  // no cookie value in any message: compare with the SESSDATA values the server sent
  const sent = (await server.fetches(qr.ticket, sc)).flatMap((r) => r.set_cookies || []);
  const values = sent.map((h) => h.split(';')[0].split('=').slice(1).join('=')).filter((v) => v.length >= 4);
  assert.ok(values.length > 0, 'the server sent SESSDATA');
  for (const e of [ePoll, ePollAsync, eWait]) {
    for (const v of values) assert.ok(!e.message.includes(v), 'no cookie value in the message');
    assert.ok(!e.message.includes(qr.ticket.slice(0, 7)), 'at most 6 characters of the ticket');
  }
});

test('argument errors: the library message, sync and async alike', async () => {
  const e1 = caught(() => biliQr.startSync({ timeout_ms: 0 }));
  const e2 = await rejection(biliQr.start({ timeout_ms: 0 }));
  assertLibraryMessage(e1, STATUS.ERR_ARGUMENT, /timeout_ms/);
  assert.equal(e2.message, e1.message);
  const e3 = caught(() => biliQr.render('x', 'png'));
  assertLibraryMessage(e3, STATUS.ERR_ARGUMENT, /png|format/);
});

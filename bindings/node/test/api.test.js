'use strict';
// start, poll, render, cancel, their async versions, and the error statuses, against the fake server.
const test = require('node:test');
const assert = require('node:assert/strict');
const { scenario, useFakeServer, caught, rejection } = require('./helpers');
const biliQr = require('..');

const { BiliQrError, STATUS } = biliQr;

const server = useFakeServer();

/** asserts that the error is a BiliQrError with this status, returns it */
function assertStatus(e, status) {
  assert.ok(e instanceof BiliQrError, `expected BiliQrError with status ${status}, got ${e && e.name}: ${e}`);
  assert.equal(e.status, status, `status of: ${e.message}`);
  return e;
}

/** asserts that fn() throws a BiliQrError with this status, returns it */
function throwsStatus(fn, status) {
  return assertStatus(caught(fn), status);
}

async function rejectsStatus(promise, status) {
  return assertStatus(await rejection(promise), status);
}

test('library metadata: ABI 2 or later, a version string, status phrases', () => {
  assert.ok(biliQr.ABI_VERSION >= 2, `ABI ${biliQr.ABI_VERSION}`);
  assert.match(biliQr.version(), /^\d+\.\d+\.\d+/);
  assert.ok(biliQr.libraryPath.length > 0);
  assert.notEqual(biliQr.statusString(STATUS.ERR_HTTP), biliQr.statusString(STATUS.ERR_API));
  assert.equal(biliQr.statusString(12345), 'unknown status');
});

test('start returns a ticket that is the qr_url ticket parameter, sent with locale/platform', async () => {
  const sc = scenario('flow=wsc');
  const qr = biliQr.startSync({ base_url: server.url(sc), locale: 'th_TH', platform: 'web' });
  assert.match(qr.ticket, /^[0-9a-f]{32}$/);
  assert.equal(new URL(qr.qr_url).searchParams.get('ticket'), qr.ticket);
  assert.equal(qr.qr_type, 'qrcode_login');
  const log = await server.log();
  const rec = log.find((r) => r.path === `/s/${sc}/x/intl/passport-login/qrcode/auth/url`);
  assert.ok(rec, 'the server saw the url request');
  assert.equal(rec.query.s_locale, 'th_TH');
  assert.equal(rec.query.platform, 'web');
});

test('options may be a JSON string', () => {
  const qr = biliQr.startSync(JSON.stringify({ base_url: server.url(scenario('flow=w')) }));
  assert.match(qr.ticket, /^[0-9a-f]{32}$/);
});

test('poll follows the flow: waiting, scanned, confirmed (with cookies), then expired', () => {
  const opts = { base_url: server.url(scenario('flow=wsc')) };
  const qr = biliQr.startSync(opts);
  const p1 = biliQr.pollSync(qr.ticket, opts);
  assert.deepEqual(
    { status: p1.status, code: p1.code, message: p1.message },
    { status: 'waiting', code: 10018101, message: 'Not scanned' },
  );
  const p2 = biliQr.pollSync(qr.qr_url, opts); // a qr_url is accepted as the ticket
  assert.equal(p2.status, 'scanned');
  assert.equal(p2.code, 10018102);
  const p3 = biliQr.pollSync(qr, opts); // and the start() object
  assert.equal(p3.status, 'confirmed');
  assert.equal(p3.code, 0);
  assert.equal(p3.mid, 1709658507);
  assert.ok(p3.cookies.some((c) => c.name === 'SESSDATA'));
  const p4 = biliQr.pollSync(qr.ticket, opts);
  assert.equal(p4.status, 'expired');
  assert.equal(p4.code, 10018100);
});

test('startAsync and pollAsync: deprecated aliases of start and poll, with one DeprecationWarning', async () => {
  const warnings = [];
  const onWarning = (w) => {
    if (w.name === 'DeprecationWarning' && w.code === 'BILIQR_DEP_ASYNC') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  try {
    const opts = { base_url: server.url(scenario('flow=sc')) };
    const pending = biliQr.startAsync(opts);
    assert.ok(pending instanceof Promise);
    const qr = await pending;
    assert.match(qr.ticket, /^[0-9a-f]{32}$/);
    assert.equal((await biliQr.pollAsync(qr.ticket, opts)).status, 'scanned');
    await rejectsStatus(biliQr.pollAsync('no/slash', opts), STATUS.ERR_ARGUMENT);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  assert.equal(warnings.length, 1, `one warning for the code: ${warnings.join(' | ')}`);
  assert.match(warnings[0], /startAsync\(\) is deprecated; start\(\) now returns the Promise/);
});

test('start and poll return promises (the work runs off the event loop)', async () => {
  const opts = { base_url: server.url(scenario('flow=sc')) };
  const qr = await biliQr.start(opts);
  assert.match(qr.ticket, /^[0-9a-f]{32}$/);
  const [a, b] = await Promise.all([biliQr.poll(qr.ticket, opts), biliQr.start(opts)]);
  assert.equal(a.status, 'scanned');
  assert.notEqual(b.ticket, qr.ticket);
  const c = await biliQr.poll(qr.ticket, opts);
  assert.equal(c.status, 'confirmed');
});

test('HTTP 412 (risk control) is ERR_HTTP naming the status, sync and async', async () => {
  const opts = { base_url: server.url(scenario('fault=412')) };
  const e = throwsStatus(() => biliQr.startSync(opts), STATUS.ERR_HTTP);
  assert.equal(e.code, 'ERR_HTTP');
  assert.match(e.message, /412/);
  const ea = await rejectsStatus(biliQr.start(opts), STATUS.ERR_HTTP);
  assert.equal(ea.code, 'ERR_HTTP');
  assert.equal(ea.message, e.message, 'the async call carries the library message too');
});

test('a 412 on fetch: poll fails with ERR_HTTP and the message holds at most 6 ticket characters', async () => {
  const sc = scenario('fault=412,on=fetch');
  const qr = biliQr.startSync({ base_url: server.url(sc) });
  const e = throwsStatus(() => biliQr.pollSync(qr.ticket, { base_url: server.url(sc) }), STATUS.ERR_HTTP);
  assert.ok(!e.message.includes(qr.ticket.slice(0, 7)), 'no more than 6 characters of the ticket in the message');
  await rejectsStatus(biliQr.poll(qr.ticket, { base_url: server.url(sc) }), STATUS.ERR_HTTP);
});

test('API code -412 is ERR_API carrying the code', async () => {
  const opts = { base_url: server.url(scenario('fault=api-412')) };
  const e = throwsStatus(() => biliQr.startSync(opts), STATUS.ERR_API);
  assert.equal(e.code, 'ERR_API');
  assert.match(e.message, /-412/);
  await rejectsStatus(biliQr.start(opts), STATUS.ERR_API);
});

test('a non-JSON answer is ERR_PROTOCOL', async () => {
  const opts = { base_url: server.url(scenario('fault=notjson')) };
  const e = throwsStatus(() => biliQr.startSync(opts), STATUS.ERR_PROTOCOL);
  assert.equal(e.code, 'ERR_PROTOCOL');
  await rejectsStatus(biliQr.start(opts), STATUS.ERR_PROTOCOL);
});

test('bad options are ERR_ARGUMENT naming the key, and nothing is sent', async () => {
  const before = (await server.stats()).requests;
  const e1 = throwsStatus(() => biliQr.startSync({ base_url: server.base, timeout_ms: 0 }), STATUS.ERR_ARGUMENT);
  assert.match(e1.message, /timeout_ms/);
  const e2 = throwsStatus(() => biliQr.startSync({ base_url: server.base, colour: 'red' }), STATUS.ERR_ARGUMENT);
  assert.match(e2.message, /colour/);
  const e3 = throwsStatus(() => biliQr.startSync({ base_url: server.base, locale: 7 }), STATUS.ERR_ARGUMENT);
  assert.match(e3.message, /locale/);
  throwsStatus(() => biliQr.startSync('{not json'), STATUS.ERR_ARGUMENT);
  throwsStatus(() => biliQr.startSync({ base_url: 'http://example.com' }), STATUS.ERR_ARGUMENT); // http, not loopback
  throwsStatus(() => biliQr.startSync(42), STATUS.ERR_ARGUMENT);
  await rejectsStatus(biliQr.start({ base_url: server.base, poll_interval_ms: 'fast' }), STATUS.ERR_ARGUMENT);
  assert.equal((await server.stats()).requests, before, 'no request was sent for bad options');
});

test('bad tickets are ERR_ARGUMENT and nothing is sent', async () => {
  const opts = { base_url: server.url(scenario('flow=w')) };
  const before = (await server.stats()).requests;
  throwsStatus(() => biliQr.pollSync('', opts), STATUS.ERR_ARGUMENT);
  throwsStatus(() => biliQr.pollSync('a b', opts), STATUS.ERR_ARGUMENT);
  throwsStatus(() => biliQr.pollSync('x'.repeat(129), opts), STATUS.ERR_ARGUMENT);
  throwsStatus(() => biliQr.pollSync('abc\0def', opts), STATUS.ERR_ARGUMENT); // would be truncated in C
  throwsStatus(() => biliQr.pollSync(12345, opts), STATUS.ERR_ARGUMENT);
  throwsStatus(() => biliQr.pollSync(null, opts), STATUS.ERR_ARGUMENT);
  await rejectsStatus(biliQr.poll('no/slash', opts), STATUS.ERR_ARGUMENT);
  await rejectsStatus(biliQr.wait('', opts), STATUS.ERR_ARGUMENT);
  throwsStatus(() => biliQr.cancel('bad ticket'), STATUS.ERR_ARGUMENT);
  assert.equal((await server.stats()).requests, before, 'no request was sent for bad tickets');
});

test('cancel with no running wait signals nothing', () => {
  assert.equal(biliQr.cancel('0123456789abcdef0123456789abcdef'), 0);
});

test('render matrix: N lines of N 0/1 characters', () => {
  const m = biliQr.render('https://www.bilibili.tv/h5/en/qrcode/login?ticket=0123456789abcdef', 'matrix');
  assert.ok(m.endsWith('\n'));
  const rows = m.slice(0, -1).split('\n');
  assert.ok(rows.length >= 21, `at least version 1 (21 modules), got ${rows.length}`);
  assert.equal((rows.length - 17) % 4, 0, 'a QR size is 17 + 4 * version');
  for (const row of rows) assert.match(row, new RegExp(`^[01]{${rows.length}}$`));
  // finder pattern in the top-left corner: a 7-module dark ring
  assert.equal(rows[0].slice(0, 7), '1111111');
  assert.equal(rows[1].slice(0, 7), '1000001');
  assert.equal(rows[2].slice(0, 7), '1011101');
});

test('render utf8 and svg; the default format is utf8; non-ASCII text is passed as UTF-8', () => {
  const text = 'héllo ▀▄█ 世界';
  const u = biliQr.render(text);
  assert.equal(u, biliQr.render(text, 'utf8'));
  assert.ok(u.endsWith('\n'));
  assert.match(u, /[▀▄█]/);
  assert.match(u, /^[▀▄█ \n]+$/);
  const svg = biliQr.render(text, 'svg');
  assert.match(svg, /<svg[\s>]/);
  assert.match(svg, /<\/svg>\s*$/);
  // a different text draws a different code
  assert.notEqual(biliQr.render('other', 'matrix'), biliQr.render(text, 'matrix'));
});

test('render errors: unknown format, empty or over-long text', () => {
  throwsStatus(() => biliQr.render('x', 'png'), STATUS.ERR_ARGUMENT);
  throwsStatus(() => biliQr.render('', 'utf8'), STATUS.ERR_ARGUMENT);
  throwsStatus(() => biliQr.render('x'.repeat(2049), 'matrix'), STATUS.ERR_ARGUMENT);
  assert.ok(biliQr.render('x'.repeat(2048), 'matrix').length > 0);
  throwsStatus(() => biliQr.render(undefined), STATUS.ERR_ARGUMENT);
});

test('wait refuses bad hooks before sending anything', async () => {
  const opts = { base_url: server.url(scenario('flow=w')) };
  const qr = biliQr.startSync(opts);
  const before = (await server.stats()).requests;
  await rejectsStatus(biliQr.wait(qr.ticket, opts, { onProgress: 'yes' }), STATUS.ERR_ARGUMENT);
  await rejectsStatus(biliQr.wait(qr.ticket, opts, { signal: {} }), STATUS.ERR_ARGUMENT);
  await rejectsStatus(biliQr.wait(qr.ticket, opts, null), STATUS.ERR_ARGUMENT);
  await rejectsStatus(biliQr.wait(qr.ticket, { poll_interval_ms: 5 }), STATUS.ERR_ARGUMENT); // out of range
  assert.equal((await server.stats()).requests, before);
});

'use strict';
// wait(): confirmed login with cookies, expiry, abort, progress callbacks, concurrency, responsiveness.

// Every running wait holds one libuv threadpool thread (koffi's async calls run there); the pool has 4
// threads unless UV_THREADPOOL_SIZE says otherwise, read once when the pool first starts. Set it before
// anything can use the pool, so that the 16 concurrent waits below really run at the same time.
process.env.UV_THREADPOOL_SIZE = process.env.UV_THREADPOOL_SIZE || '24';

const test = require('node:test');
const assert = require('node:assert/strict');
const { scenario, sleep, useFakeServer, rejection } = require('./helpers');
const biliQr = require('..');

const { BiliQrError, ExpiredError, STATUS } = biliQr;

const server = useFakeServer();

function opts(spec, extra = {}) {
  const sc = scenario(spec);
  return { sc, options: { base_url: server.url(sc), poll_interval_ms: 100, ...extra } };
}

test('wait resolves with the confirmed login; cookies match what the server sent', async () => {
  const { sc, options } = opts('flow=wwsc');
  const qr = biliQr.startSync(options);
  const events = [];
  const login = await biliQr.wait(qr.ticket, options, { onProgress: (ev) => events.push(ev) });
  assert.deepEqual(
    events.map((e) => e.status),
    ['waiting', 'waiting', 'scanned'],
  );
  assert.equal(events[2].code, 10018102);
  assert.equal(login.status, 'confirmed');
  assert.equal(login.code, 0);
  assert.equal(login.mid, 1709658507);
  assert.equal(login.user_profile.name, 'DemoUser');
  assert.deepEqual(
    login.cookies.map((c) => c.name),
    ['SESSDATA', 'bili_jct', 'DedeUserID', 'DedeUserID__ckMd5', 'joy_jct', 'mid', 'sid'],
  );
  // compare values with the Set-Cookie headers in the server's log (without printing them)
  const confirmed = (await server.fetches(qr.ticket, sc)).find((r) => r.set_cookies && r.set_cookies.length > 0);
  assert.ok(confirmed, 'the server logged the confirmed answer');
  const sent = new Map(
    confirmed.set_cookies.map((h) => {
      const pair = h.split(';')[0];
      const i = pair.indexOf('=');
      return [pair.slice(0, i), pair.slice(i + 1)];
    }),
  );
  for (const c of login.cookies) {
    assert.ok(sent.get(c.name) === c.value, `value of cookie ${c.name} is exactly what the server sent`);
  }
  const sess = login.cookies[0];
  assert.equal(sess.domain, 'bilibili.tv');
  assert.equal(sess.path, '/');
  assert.equal(sess.secure, true);
  assert.equal(sess.http_only, true);
  assert.equal(typeof sess.expires, 'number');
  const sid = login.cookies.find((c) => c.name === 'sid');
  assert.equal(sid.expires, null);
  assert.equal(sid.domain, null);
  const header = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  assert.ok(login.cookie_header === header, 'cookie_header joins the cookies in order');
});

test('an expired ticket rejects with ExpiredError (a BiliQrError with status 3)', async () => {
  const { options } = opts('flow=wwe');
  const qr = biliQr.startSync(options);
  const e = await rejection(biliQr.wait(qr.ticket, options));
  assert.ok(e instanceof ExpiredError, `got ${e}`);
  assert.ok(e instanceof BiliQrError);
  assert.equal(e.status, STATUS.EXPIRED);
  assert.equal(e.code, 'EXPIRED');
  assert.equal(e.result.status, 'expired');
  assert.equal(e.result.code, 10018100);
  assert.ok(!e.message.includes(qr.ticket), 'the message does not hold the ticket');
});

test('errors that end a wait: HTTP 412 and API -412', async () => {
  for (const [fault, status] of [
    ['412', STATUS.ERR_HTTP],
    ['api-412', STATUS.ERR_API],
  ]) {
    const { options } = opts(`fault=${fault},on=fetch`);
    const qr = biliQr.startSync(options);
    const e = await rejection(biliQr.wait(qr.qr_url, options)); // a qr_url works as the ticket
    assert.ok(e instanceof BiliQrError, `got ${e}`);
    assert.equal(e.status, status, `fault=${fault}: ${e.message}`);
    assert.match(e.message, fault === '412' ? /412/ : /-412/, 'the library message names the status or code');
    assert.ok(!e.message.includes(qr.ticket.slice(0, 7)), 'no more than 6 characters of the ticket');
  }
});

test('wait_timeout_ms ends a wait with ERR_TIMEOUT', async () => {
  // the ticket expires after 30 s: a wait that ignored wait_timeout_ms would end with EXPIRED, not a timeout
  const { options } = opts('flow=w,expire=30000', { wait_timeout_ms: 1000 });
  const qr = biliQr.startSync(options);
  const t0 = Date.now();
  const e = await rejection(biliQr.wait(qr.ticket, options));
  assert.equal(e.status, STATUS.ERR_TIMEOUT, e.message);
  assert.equal(e.code, 'ERR_TIMEOUT');
  assert.ok(Date.now() - t0 >= 900, 'not before the timeout'); // a slow machine only makes it later
});

/**
 * Calls cancel(ticket) until it finds no wait running on the ticket (a wait still running when it is called is
 * signalled, which a test that already ended it does not mind): true once none is, false if one still runs
 * after 10 s. A native wait ends as soon as its request in flight does; one that never ended (or kept polling)
 * would keep this false.
 */
async function noWaitRunning(ticket) {
  for (let i = 0; i < 500; i++) {
    if (biliQr.cancel(ticket) === 0) return true;
    await sleep(20);
  }
  return false;
}

test('AbortSignal: rejects at once with signal.reason, and the server sees no further polls', async () => {
  const { sc, options } = opts('flow=w', { poll_interval_ms: 200 });
  const qr = biliQr.startSync(options);
  const ac = new AbortController();
  let progressCalls = 0;
  const promise = biliQr.wait(qr.ticket, options, {
    signal: ac.signal,
    onProgress: () => {
      progressCalls += 1;
    },
  });
  // let it poll a few times
  for (let i = 0; i < 100 && progressCalls < 2; i++) await sleep(20);
  assert.ok(progressCalls >= 2, 'the wait was polling');
  const reason = new Error('user closed the login window');
  const abortedAt = Date.now();
  ac.abort(reason);
  const e = await rejection(promise);
  const took = Date.now() - abortedAt;
  assert.equal(e, reason, 'rejects with signal.reason');
  // the ticket never confirms, so a promise not rejected by the abort would not settle at all (until the
  // default wait_timeout_ms); 10 s is far from that and from the few ms expected
  assert.ok(took < 10000, `rejected ${took} ms after abort`);
  // the native wait ends once a request in flight at abort time has been answered
  assert.ok(await noWaitRunning(qr.ticket), 'no wait is running on the ticket any more');
  const settled = (await server.fetches(qr.ticket, sc)).length;
  await sleep(1000); // 5 poll intervals
  const later = (await server.fetches(qr.ticket, sc)).length;
  assert.equal(later, settled, 'no poll after the abort');
});

test('abort with the default reason rejects with an AbortError', async () => {
  const { options } = opts('flow=w');
  const qr = biliQr.startSync(options);
  const ac = new AbortController();
  const promise = biliQr.wait(qr.ticket, options, { signal: ac.signal });
  await sleep(150);
  ac.abort();
  const e = await rejection(promise);
  assert.equal(e.name, 'AbortError');
});

test('an already aborted signal rejects without sending anything', async () => {
  const { sc, options } = opts('flow=w');
  const qr = biliQr.startSync(options);
  const e = await rejection(biliQr.wait(qr.ticket, options, { signal: AbortSignal.abort() }));
  assert.equal(e.name, 'AbortError');
  await sleep(300);
  assert.equal((await server.fetches(qr.ticket, sc)).length, 0);
});

/**
 * A wait on a never-scanned ticket whose onProgress is `onCall(n, qr, options)` (n: 1 for the first call): what
 * the wait rejected with, how many times onProgress ran, how many polls the fake server saw a while after, and
 * the options (of that scenario).
 */
async function waitRejectedByProgress(onCall) {
  const { sc, options } = opts('flow=w');
  const qr = biliQr.startSync(options);
  let calls = 0;
  const error = await rejection(
    biliQr.wait(qr.ticket, options, {
      onProgress: () => {
        calls += 1;
        return onCall(calls, qr, options);
      },
    }),
  );
  await sleep(400);
  return { error, calls, polls: (await server.fetches(qr.ticket, sc)).length, options };
}

test('onProgress returning false cancels: BiliQrError ERR_CANCELLED, no poll after', async () => {
  const { error: e, calls, polls } = await waitRejectedByProgress((n) => n < 3);
  assert.ok(e instanceof BiliQrError, `got ${e}`);
  assert.equal(e.status, STATUS.ERR_CANCELLED);
  assert.equal(e.code, 'ERR_CANCELLED');
  assert.equal(calls, 3);
  assert.equal(polls, 3, 'one poll per progress call, none after');
});

test('onProgress throwing cancels and rejects with that exception', async () => {
  const boom = new TypeError('boom in onProgress');
  const { error, calls, polls } = await waitRejectedByProgress(() => {
    throw boom;
  });
  assert.equal(error, boom);
  assert.equal(calls, 1);
  assert.equal(polls, 1);
});

test('onProgress may call back into the library (poll, render, cancel, abort) without deadlock', async () => {
  // the worker thread is blocked inside bili_qr_wait while onProgress runs on the main thread
  const {
    error: e1,
    calls,
    options,
  } = await waitRejectedByProgress((n, qr, o) => {
    assert.equal(biliQr.pollSync(qr.ticket, o).status, 'waiting');
    assert.ok(biliQr.render('x', 'matrix').length > 0);
    if (n === 2) assert.equal(biliQr.cancel(qr.ticket), 1);
  });
  assert.equal(e1.status, STATUS.ERR_CANCELLED);
  assert.equal(calls, 2);

  const ac = new AbortController();
  const qr2 = biliQr.startSync(options);
  const e2 = await rejection(biliQr.wait(qr2.ticket, options, { signal: ac.signal, onProgress: () => ac.abort() }));
  assert.equal(e2.name, 'AbortError');
  assert.ok(await noWaitRunning(qr2.ticket), 'the aborted wait has ended');
});

test('cancel(ticket) from elsewhere ends a running wait with ERR_CANCELLED', async () => {
  // 30 s between polls: a cancel not seen while the wait sleeps would end it 30 s later at the soonest
  const { options } = opts('flow=w', { poll_interval_ms: 30000, wait_timeout_ms: 60000 });
  const qr = biliQr.startSync(options);
  let polled = false;
  const promise = biliQr.wait(qr.ticket, options, {
    onProgress: () => {
      polled = true;
    },
  });
  // after its first progress call the wait is running (and then sleeps): the cancel finds it
  for (let i = 0; i < 500 && !polled; i++) await sleep(20);
  assert.ok(polled, 'the wait polled');
  const t0 = Date.now();
  assert.equal(biliQr.cancel(qr.ticket), 1);
  const e = await rejection(promise);
  assert.equal(e.status, STATUS.ERR_CANCELLED);
  // far from both the 30 s of the alternative and the ~0.1 s expected
  assert.ok(Date.now() - t0 < 10000, 'ended during the sleep, not at the next poll');
});

test('16 concurrent waits on distinct tickets run at the same time and all confirm', async () => {
  const n = 16;
  // the tickets stay waiting until the test confirms them: no wait ends by itself
  const { sc, options } = opts('flow=w', { wait_timeout_ms: 60000 });
  const tickets = [];
  for (let i = 0; i < n; i++) tickets.push(biliQr.startSync(options).ticket);
  const waits = Promise.all(tickets.map((t) => biliQr.wait(t, options)));
  // every ticket polled while none of the waits had ended: all 16 were running at once. Waits run 4 at a
  // time would leave 12 tickets never polled (the loop gives up after 10 s)
  const polled = async () => {
    const log = await server.log();
    return tickets.filter((t) =>
      log.some((r) => r.path === `/s/${sc}/x/intl/passport-login/qrcode/auth/fetch` && r.query.ticket === t),
    ).length;
  };
  let seen = 0;
  for (let i = 0; i < 200 && (seen = await polled()) < n; i++) await sleep(50);
  if (seen < n) tickets.forEach((t) => biliQr.cancel(t)); // end the waits that run, so the file can finish
  assert.equal(seen, n, 'tickets polled while all 16 waits were waiting');
  for (const t of tickets) await server.setState(sc, t, 'confirmed');
  const logins = await waits;
  for (const login of logins) {
    assert.equal(login.status, 'confirmed');
    assert.ok(login.cookies.some((c) => c.name === 'SESSDATA'));
  }
});

test('the event loop keeps running during a wait', async () => {
  // the ticket stays waiting until this test, on the event loop, confirms it: were the event loop blocked
  // during the wait, no timer below could run before the wait had ended (by its 60 s wait_timeout_ms)
  const { sc, options } = opts('flow=w', { wait_timeout_ms: 60000 });
  const qr = biliQr.startSync(options);
  let ended = false;
  const promise = biliQr.wait(qr.ticket, options);
  promise.then(
    () => (ended = true),
    () => (ended = true),
  );
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
  }, 20);
  try {
    for (let i = 0; i < 500 && (ticks < 10 || (await server.fetches(qr.ticket, sc)).length < 2); i++) await sleep(20);
    assert.ok(!ended, 'the wait is still running');
    assert.ok(ticks >= 10, `${ticks} timer ticks while the wait ran`);
    assert.ok((await server.fetches(qr.ticket, sc)).length >= 2, 'the wait polled meanwhile');
    await server.setState(sc, qr.ticket, 'confirmed');
    const login = await promise;
    assert.equal(login.status, 'confirmed');
  } finally {
    clearInterval(timer);
  }
});

test('every wait released its registered progress callback (koffi slots do not leak)', async () => {
  const koffi = require('koffi');
  // all waits above have ended (the aborted ones were checked with cancel() === 0)
  assert.equal(koffi.stats().callbacks, 0);
  const { options } = opts('flow=c');
  const tickets = Array.from({ length: 50 }, () => biliQr.startSync(options).ticket);
  const pending = tickets.map((t) => biliQr.wait(t, options, { onProgress: () => true }));
  assert.equal(koffi.stats().callbacks, 50, 'one slot per running wait');
  await Promise.all(pending);
  assert.equal(koffi.stats().callbacks, 0);
});

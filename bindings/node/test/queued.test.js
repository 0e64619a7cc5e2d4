'use strict';
// The documented threadpool limit, with a pool of ONE thread: a second wait queues behind the first; aborting
// it while queued rejects at once, and once it gets the thread it sends at most one poll.
process.env.UV_THREADPOOL_SIZE = '1'; // this file runs in its own process under node --test

const test = require('node:test');
const assert = require('node:assert/strict');
const { scenario, sleep, useFakeServer, rejection } = require('./helpers');
const biliQr = require('..');

const server = useFakeServer();

test('with one pool thread, a second wait queues; aborting it while queued rejects at once', async () => {
  const sc = scenario('flow=w');
  const options = { base_url: server.url(sc), poll_interval_ms: 100 };
  const a = biliQr.startSync(options).ticket;
  const b = biliQr.startSync(options).ticket;

  let aPolls = 0;
  const first = biliQr.wait(a, options, {
    onProgress: () => {
      aPolls += 1;
    },
  });
  const ac = new AbortController();
  const second = biliQr.wait(b, options, { signal: ac.signal });
  for (let i = 0; i < 100 && aPolls < 3; i++) await sleep(20);
  assert.ok(aPolls >= 3, 'the first wait is polling');
  assert.equal((await server.fetches(b, sc)).length, 0, 'the second wait is queued: it has not polled');

  ac.abort();
  // the first wait never ends by itself (its ticket stays waiting), so the only thread stays busy: a rejection
  // that waited for the native call would not come at all; 10 s is far from that and from the few ms expected
  const e = await Promise.race([rejection(second), sleep(10000).then(() => null)]);
  assert.ok(e, 'rejected although its native call has not started');
  assert.equal(e.name, 'AbortError');

  // free the thread: the queued wait runs now, sees it was aborted at its first progress, and ends
  assert.equal(biliQr.cancel(a), 1, 'the first wait was still running: the rejection did not wait for it');
  const ea = await rejection(first);
  assert.equal(ea.status, biliQr.STATUS.ERR_CANCELLED);
  // a third wait, queued behind the aborted one on the same thread, polls only once that one has ended
  const c = biliQr.startSync(options).ticket;
  let cPolled = false;
  const third = biliQr.wait(c, options, {
    onProgress: () => {
      cPolled = true;
    },
  });
  for (let i = 0; i < 500 && !cPolled; i++) await sleep(20);
  assert.ok(cPolled, 'the thread is free again');
  assert.ok((await server.fetches(b, sc)).length <= 1, 'at most one poll from the aborted, queued wait');
  assert.equal(biliQr.cancel(b), 0, 'and it is not running any more');
  assert.equal(biliQr.cancel(c), 1);
  assert.equal((await rejection(third)).status, biliQr.STATUS.ERR_CANCELLED);
});

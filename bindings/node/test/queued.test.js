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

  const t0 = Date.now();
  ac.abort();
  const e = await rejection(second);
  assert.equal(e.name, 'AbortError');
  assert.ok(Date.now() - t0 < 1000, 'rejected at once although its native call has not started');

  // free the thread: the queued wait runs now, sees it was aborted at its first progress, and ends
  assert.equal(biliQr.cancel(a), 1);
  const ea = await rejection(first);
  assert.equal(ea.status, biliQr.STATUS.ERR_CANCELLED);
  await sleep(600);
  assert.ok((await server.fetches(b, sc)).length <= 1, 'at most one poll from the aborted, queued wait');
  assert.equal(biliQr.cancel(b), 0, 'and it is not running any more');
});

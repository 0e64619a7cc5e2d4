'use strict';
// The memory rule, checked against a counting stand-in library (test/fixtures/counting_stub.c): every string
// handed out is given back through bili_qr_free exactly once, also when the status is an error and when
// decoding/JSON parsing throws; bili_qr_free never sees a pointer the library did not hand out.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PKG = path.resolve(__dirname, '..');
const haveCc = spawnSync('cc', ['--version']).status === 0;

// The strings the script's calls are handed (see the count at the end of the test).
const HANDED_OUT = 79;

const SCRIPT = `
const koffi = require('koffi');
const b = require('.');
const stub = koffi.load(process.env.BILI_QR_LIBRARY); // the same loaded library (dlopen is refcounted)
const count = (name) => stub.func('int ' + name + '(void)')();
const expectThrow = (fn, check) => { try { fn(); } catch (e) { check(e); return; } throw new Error('no throw'); };
const expectReject = async (p, check) => { try { await p; } catch (e) { check(e); return; } throw new Error('no rejection'); };
(async () => {
  // success paths
  if (b.startSync().ticket !== 'abc') throw new Error('startSync');
  if (b.pollSync('abc').status !== 'waiting') throw new Error('pollSync');
  if (b.render('x', 'matrix') !== '1\\n') throw new Error('render');
  if ((await b.start()).ticket !== 'abc') throw new Error('start');
  if ((await b.poll('abc')).status !== 'waiting') throw new Error('poll');
  let events = 0;
  const login = await b.wait('abc', '{"x":1}', { onProgress: () => { events++; } });
  if (login.status !== 'confirmed' || events !== 2) throw new Error('wait');
  const s = b.Session.from('SESSDATA=x');
  if (s.cookieHeader !== 'SESSDATA=x' || s.format('header') !== 'SESSDATA=x') throw new Error('session');
  if ((await b.check(s)).status !== 'valid') throw new Error('check');
  if ((await b.logout(s)).status !== 'logged_out') throw new Error('logout');
  // the Sync twins release their strings the same way
  if (b.checkSync(s).status !== 'valid') throw new Error('checkSync');
  if (b.logoutSync(s).status !== 'logged_out') throw new Error('logoutSync');
  let syncEvents = 0;
  const syncLogin = b.waitSync('abc', '{"x":1}', { onProgress: () => { syncEvents++; } });
  if (syncLogin.status !== 'confirmed' || syncEvents !== 2) throw new Error('waitSync');
  expectThrow(() => b.waitSync('abc', '{"badjson":1}'), (e) => { if (!(e instanceof SyntaxError)) throw e; });
  expectThrow(() => b.waitSync('abc', '{"expired":1}'), (e) => { if (e.status !== 3 || e.result.code !== 10018100) throw e; });
  expectThrow(() => b.waitSync('abc', null, { onProgress: () => { throw new RangeError('x'); } }), (e) => { if (!(e instanceof RangeError)) throw e; });
  // ABI 3: the refresh pair, both forms
  const r = await b.refresh(s);
  if (r.status !== 'refreshed' || r.refreshToken !== 'n' || r.previousRefreshToken !== 'o' || r.site !== 'main') throw new Error('refresh');
  if (b.refreshSync(s).cookieHeader !== 'SESSDATA=y') throw new Error('refreshSync');
  if ((await r.refreshConfirm()).status !== 'confirmed') throw new Error('refreshConfirm');
  if (b.refreshConfirmSync(r).previousRefreshToken !== null) throw new Error('refreshConfirmSync');
  // ABI 3: the session file (bili_qr_session_save_ex hands out only out_error): the failure's message is released
  s.save('saved.txt');
  expectThrow(() => s.save('fail.txt'), (e) => { if (e.status !== -1 || e.message !== 'stub: could not write the file') throw e; });
  // the library returned a string that is not JSON: parse throws, the string is still released
  expectThrow(() => b.startSync('{"badjson":1}'), (e) => { if (!(e instanceof SyntaxError)) throw e; });
  expectThrow(() => b.pollSync('abc', '{"badjson":1}'), (e) => { if (!(e instanceof SyntaxError)) throw e; });
  await expectReject(b.start('{"badjson":1}'), (e) => { if (!(e instanceof SyntaxError)) throw e; });
  await expectReject(b.wait('abc', '{"badjson":1}'), (e) => { if (!(e instanceof SyntaxError)) throw e; });
  // error statuses: the message comes from out_error (also released)
  const msg = 'stub: HTTP 412 from stub host; slow down or change network';
  const failed = (e) => { if (e.status !== -4 || e.message !== msg) throw e; };
  expectThrow(() => b.startSync('{"fail":1}'), failed);
  await expectReject(b.poll('abc', '{"fail":1}'), failed);
  await expectReject(b.wait('abc', '{"fail":1}'), failed);
  await expectReject(b.check(s, '{"fail":1}'), failed);
  expectThrow(() => b.checkSync(s, '{"fail":1}'), failed);
  expectThrow(() => b.waitSync('abc', '{"fail":1}'), failed);
  await expectReject(b.refresh(s, '{"fail":1}'), failed);
  expectThrow(() => b.refreshConfirmSync(s, '{"badjson":1}'), (e) => { if (!(e instanceof SyntaxError)) throw e; });
  // expired (status 3 with a result), onProgress false / throwing, abort
  await expectReject(b.wait('abc', '{"expired":1}'), (e) => { if (e.status !== 3 || e.result.code !== 10018100) throw e; });
  await expectReject(b.wait('abc', null, { onProgress: () => false }), (e) => { if (e.status !== -7 || e.message !== 'stub: the wait was cancelled') throw e; });
  await expectReject(b.wait('abc', null, { onProgress: () => { throw new RangeError('x'); } }), (e) => { if (!(e instanceof RangeError)) throw e; });
  const ac = new AbortController();
  await expectReject(b.wait('abc', null, { signal: ac.signal, onProgress: () => ac.abort() }), (e) => { if (e.name !== 'AbortError') throw e; });
  // many concurrent async calls
  await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? b.poll('abc') : b.wait('abc'))));
  // the aborted wait rejected at once; its native call's completion (which hands out and releases its message)
  // runs when it runs: wait for it, up to 10 s, instead of for a fixed time
  for (let i = 0; i < 500 && (count('stub_handed_out') < ${HANDED_OUT} || count('stub_given_back') < count('stub_handed_out')); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(JSON.stringify({ out: count('stub_handed_out'), back: count('stub_given_back'), foreign: count('stub_foreign_frees') }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

test('every string from the library is released with bili_qr_free exactly once, on every path', { skip: !haveCc && 'no C compiler' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biliqr-node-'));
  try {
    const so = path.join(dir, 'libbili_qr_stub.so');
    const cc = spawnSync('cc', ['-shared', '-fPIC', '-pthread', '-DSTUB_ABI=3', '-o', so, path.join(__dirname, 'fixtures', 'counting_stub.c')], {
      encoding: 'utf8',
    });
    assert.equal(cc.status, 0, cc.stderr);
    const r = spawnSync(process.execPath, ['-e', SCRIPT], {
      cwd: PKG,
      env: { ...process.env, BILI_QR_LIBRARY: so },
      encoding: 'utf8',
      timeout: 30000,
    });
    assert.equal(r.status, 0, r.stderr);
    const counts = JSON.parse(r.stdout.trim().split('\n').pop());
    // 10 successes + 4 bad JSON + 4 error messages + 1 expired + 3 cancelled waits (false, throw, abort:
    // each with its message) + 40 concurrent = 62 strings handed out by the calls of 0.2; the Sync twins add
    // 3 successes, 1 bad JSON, 1 expired, 1 cancelled (throw), 2 error messages; the refresh pair 4
    // successes, 1 error message, 1 bad JSON; the two saves 2 conversions and 1 error message: 79 in all
    assert.equal(counts.out, HANDED_OUT, JSON.stringify(counts));
    assert.equal(counts.back, counts.out, `released ${counts.back} of ${counts.out}`);
    assert.equal(counts.foreign, 0, 'bili_qr_free never got a pointer the library did not hand out');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

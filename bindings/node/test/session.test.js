'use strict';
// After the login: login → save → check (valid) → renewal saved → logout → check (expired), against
// the fake server, through Session (whose formats are the library's bili_qr_session_convert), check and logout.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { useFakeServer, scenario, rejection, fileMode } = require('./helpers');
const biliQr = require('..');

const { Session, BiliQrError, STATUS } = biliQr;

const server = useFakeServer();
let dir;
test.before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biliqr-node-session-'));
});
test.after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** a confirmed login through the fake server (sync poll: flow=c confirms at the first poll) */
function login(spec = 'flow=c') {
  const options = { base_url: server.url(scenario(spec)) };
  const qr = biliQr.startSync(options);
  const result = biliQr.pollSync(qr.ticket, options);
  assert.equal(result.status, 'confirmed');
  return { result, options };
}

test('login → save → check (valid) → renewal saved → logout → check (expired)', async () => {
  const { result, options } = login();
  const file = path.join(dir, 'cookies.txt');
  Session.from(result).save(file);
  assert.equal(fileMode(file), 0o600, 'saved with mode 0600');
  const text = fs.readFileSync(file, 'utf8');
  assert.match(text, /^# Netscape HTTP Cookie File/);
  assert.match(text, /^#HttpOnly_\.bilibili\.tv\tTRUE\t\/\tTRUE\t\d+\tSESSDATA\t/m);

  const saved = Session.load(file);
  assert.equal(saved.mid, result.mid);
  assert.equal(saved.cookieHeader, result.cookie_header, 'cookies.txt round trip keeps the session');

  const api = { api_base_url: server.url(scenario('flow=c')) };
  const valid = await biliQr.check(saved, api);
  assert.ok(valid instanceof Session);
  assert.equal(valid.status, 'valid');
  assert.equal(valid.valid, true);
  assert.equal(valid.renewed, false);
  assert.equal(valid.mid, result.mid);
  assert.equal(valid.name, 'DemoUser');
  const seen = (await server.log()).filter((r) => r.path.endsWith('/intl/gateway/web/v2/user'));
  assert.ok(seen.length >= 1 && seen[seen.length - 1].headers.cookie.includes('SESSDATA='), 'check sent the session cookies');

  // a check whose answer renews SESSDATA: the session to save from now on
  const renewed = await saved.check({ api_base_url: server.url(scenario('renew=1')) });
  assert.equal(renewed.status, 'valid');
  assert.equal(renewed.renewed, true);
  const oldSess = saved.cookies.find((c) => c.name === 'SESSDATA').value;
  const newSess = renewed.cookies.find((c) => c.name === 'SESSDATA').value;
  assert.ok(oldSess !== newSess, 'SESSDATA was renewed');
  renewed.save(file);
  assert.equal(fileMode(file), 0o600);
  const reloaded = Session.load(file);
  assert.ok(reloaded.cookieHeader.includes(`SESSDATA=${newSess}`), 'the renewed value was saved');
  assert.equal((await biliQr.check(reloaded, api)).status, 'valid', 'the renewed session is good');
  assert.equal((await biliQr.check(saved, api)).status, 'expired', 'the value it replaced is not');

  const out = await reloaded.logout(options);
  assert.equal(out.status, 'logged_out');
  assert.equal(out.code, 0);
  const after = await biliQr.check(fs.readFileSync(file, 'utf8'), api); // the text of a cookies.txt works too
  assert.equal(after.status, 'expired');
  assert.equal(after.valid, false);
  const again = await biliQr.logout(reloaded, options);
  assert.equal(again.status, 'expired', 'logging out twice: already logged out (-101)');
});

test('logout with a bili_jct that does not match the session is ERR_API saying so', async () => {
  const { result, options } = login();
  const cookies = result.cookies.map((c) => (c.name === 'bili_jct' ? { ...c, value: '0'.repeat(32) } : c));
  const e = await rejection(biliQr.logout({ ...result, cookies }, options));
  assert.ok(e instanceof BiliQrError);
  assert.equal(e.status, STATUS.ERR_API);
  assert.match(e.message, /csrf|bili_jct/);
  assert.equal((await biliQr.check(result, { api_base_url: options.base_url })).status, 'valid', 'still logged in');
});

test('formats: json and header round trips, save picks json for .json, util.inspect hides values', () => {
  const { result } = login();
  const s = Session.from(result);
  assert.equal(s.format('header'), result.cookie_header);
  assert.equal(s.host, '127.0.0.1');
  const jsonFile = path.join(dir, 'session.json');
  s.save(jsonFile);
  const obj = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  assert.equal(obj.cookie_header, result.cookie_header);
  assert.equal(obj.mid, result.mid);
  assert.equal(Session.load(jsonFile).cookieHeader, result.cookie_header);
  const hdrFile = path.join(dir, 'session.hdr');
  s.save(hdrFile, { format: 'header' });
  assert.equal(Session.load(hdrFile).cookieHeader, Session.from(result.cookie_header).cookieHeader);
  assert.equal(biliQr.convertSession(result.cookie_header, 'header'), result.cookie_header);
  const shown = util.inspect(s) + String(s) + JSON.stringify(Object.keys(s));
  // every value but the mid (DedeUserID, mid: the public account number, shown as `mid`)
  const secret = result.cookies.filter((c) => c.value !== String(result.mid));
  assert.ok(secret.some((c) => c.name === 'SESSDATA') && secret.some((c) => c.name === 'bili_jct'));
  for (const c of secret) assert.ok(!shown.includes(c.value), `util.inspect shows no value (${c.name})`);
  assert.match(util.inspect(s), /SESSDATA/);
  assert.throws(() => s.format('xml'), (e) => e.status === STATUS.ERR_ARGUMENT);
});

test('save is atomic: replaces an existing file (0644 → 0600), leaves no temporary file', () => {
  const { result } = login();
  const file = path.join(dir, 'replace.txt');
  fs.writeFileSync(file, 'old', { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  Session.from(result).save(file);
  assert.equal(fileMode(file), 0o600);
  assert.match(fs.readFileSync(file, 'utf8'), /SESSDATA/);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  // a folder that does not exist: an error, nothing written
  assert.throws(
    () => Session.from(result).save(path.join(dir, 'no', 'such', 'dir.txt')),
    (e) => e.status === STATUS.ERR_ARGUMENT && /does not exist/.test(e.message),
  );
});

test('save: a path that is not a string is ERR_ARGUMENT and writes nothing; null options take the default format', () => {
  const { result } = login();
  const s = Session.from(result);
  const cwd = fs.readdirSync(process.cwd());
  for (const bad of [5, null, undefined, {}, ['a.txt']]) {
    assert.throws(() => s.save(bad), (e) => e instanceof biliQr.BiliQrError && e.status === STATUS.ERR_ARGUMENT, String(bad));
  }
  assert.deepEqual(fs.readdirSync(process.cwd()), cwd, 'no file named after the argument');
  assert.throws(() => s.save(path.join(dir, 'opts.txt'), 'json'), (e) => e.status === STATUS.ERR_ARGUMENT);
  const file = path.join(dir, 'null-options.json');
  s.save(file, null);
  assert.equal(fileMode(file), 0o600);
  assert.equal(Session.load(file).cookieHeader, result.cookie_header);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).cookie_header, result.cookie_header, '.json name: json');
});

test('bad sessions are ERR_ARGUMENT and nothing is sent', async () => {
  const api = { api_base_url: server.url(scenario('flow=c')), base_url: server.url(scenario('flow=c')) };
  const before = (await server.stats()).requests;
  const bad = ['', '   ', 'bili_jct=abc; DedeUserID=1', '{"cookies": [', '\u0001\u0002garbage\u00ff', 'x'.repeat(2 * 1024 * 1024)];
  for (const s of bad) {
    const e = await rejection(biliQr.check(s, api));
    assert.equal(e.status, STATUS.ERR_ARGUMENT, `check(${JSON.stringify(s.slice(0, 20))}): ${e.message}`);
    const e2 = await rejection(biliQr.logout(s, api));
    assert.equal(e2.status, STATUS.ERR_ARGUMENT);
    assert.throws(() => Session.from(s), (x) => x.status === STATUS.ERR_ARGUMENT);
  }
  await assert.rejects(biliQr.check(42, api), (e) => e.status === STATUS.ERR_ARGUMENT);
  await assert.rejects(biliQr.check('SESSDATA=a\0b', api), (e) => e.status === STATUS.ERR_ARGUMENT);
  assert.equal((await server.stats()).requests, before, 'no request for a bad session');
  // a file over 1 MiB is refused before it is read
  const big = path.join(dir, 'big.txt');
  fs.writeFileSync(big, Buffer.alloc(1024 * 1024 + 1, 0x41));
  assert.throws(() => Session.load(big), (e) => e.status === STATUS.ERR_ARGUMENT && /1048576/.test(e.message));
});

test('check: an already aborted signal rejects without sending anything', async () => {
  const { result } = login();
  const api = { api_base_url: server.url(scenario('flow=c')) };
  const before = (await server.stats()).requests;
  const e = await rejection(biliQr.check(result, api, { signal: AbortSignal.abort() }));
  assert.equal(e.name, 'AbortError');
  assert.equal((await server.stats()).requests, before);
});

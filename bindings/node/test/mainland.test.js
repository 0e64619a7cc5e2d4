'use strict';
// The mainland site (ABI 3) against the fake server: a web QR login, the session saved, checked, refreshed,
// confirmed and logged out (the whole round trip, with the promise forms and with the Sync twins), a refresh
// left unconfirmed (the old session keeps working), and the TV token round trip (SKIPPED while the loaded
// library does not know the option `flow`).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startFakeServer, scenario, rejection, fileMode } = require('./helpers');
const biliQr = require('..');

const { BiliQrError, Session, STATUS } = biliQr;
const HAS_REFRESH = biliQr.ABI_VERSION >= 3;

let server;
let publicKey;
let dir;
test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bili-qr-node-main-'));
  const keyFile = path.join(dir, 'refresh-key.pem');
  server = await startFakeServer(['--refresh-public-key-out', keyFile]);
  publicKey = fs.readFileSync(keyFile, 'utf8');
});
test.after(async () => {
  if (server) await server.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Options of one mainland scenario: every origin the library talks to is the fake server. */
function mainOptions(spec = 'flow=c') {
  const origin = server.url(scenario(spec));
  return {
    site: 'main',
    base_url: origin,
    api_base_url: origin,
    www_base_url: origin,
    refresh_public_key: publicKey,
    poll_interval_ms: 100,
    wait_timeout_ms: 20000,
  };
}

/** A mainland web login through start + wait; returns the confirmed Login. */
async function mainLogin(options) {
  const qr = await biliQr.start(options);
  const login = await biliQr.wait(qr, options);
  assert.equal(login.status, 'confirmed');
  assert.equal(login.site, 'main');
  assert.match(login.refresh_token, /^[0-9a-f]{32}$/);
  return login;
}

test('mainland round trip: login, save, check, refresh, save, confirm, check new and old, logout', { skip: !HAS_REFRESH && 'SKIPPED: the library is older than ABI 3' }, async () => {
  const options = mainOptions();
  const login = await mainLogin(options);
  const file = path.join(dir, 'main-cookies.txt'); // cookies.txt: the refresh token is kept as an extra line

  const session = Session.from(login);
  assert.equal(session.site, 'main');
  assert.equal(session.refreshToken, login.refresh_token);
  session.save(file);
  assert.equal(fileMode(file), 0o600);
  const saved = Session.load(file);
  assert.equal(saved.site, 'main');
  assert.equal(saved.refreshToken, login.refresh_token, 'the refresh token survives cookies.txt');

  const checked = await biliQr.check(saved, options);
  assert.equal(checked.status, 'valid');
  assert.equal(checked.refreshNeeded, false, 'cookie/info answered refresh: false');
  assert.equal(checked.mid, login.mid);

  const refreshed = await saved.refresh(options);
  assert.equal(refreshed.status, 'refreshed');
  assert.equal(refreshed.site, 'main');
  assert.equal(refreshed.previousRefreshToken, login.refresh_token);
  assert.match(refreshed.refreshToken, /^[0-9a-f]{32}$/);
  assert.notEqual(refreshed.refreshToken, login.refresh_token);
  assert.notEqual(refreshed.cookieHeader, saved.cookieHeader, 'new cookies');
  assert.deepEqual(refreshed.warnings, []);
  refreshed.save(file); // the new session reaches the disk before the old one is retired
  assert.equal(fileMode(file), 0o600);

  const beforeConfirm = Session.load(file);
  assert.equal(beforeConfirm.previousRefreshToken, login.refresh_token, 'cookies.txt keeps the pending confirmation');
  // a session awaiting its confirmation cannot be refreshed again (nothing sent)
  const again = await rejection(biliQr.refresh(beforeConfirm, options));
  assert.ok(again instanceof BiliQrError);
  assert.equal(again.status, STATUS.ERR_ARGUMENT);

  const confirmed = await biliQr.refreshConfirm(beforeConfirm, options);
  assert.equal(confirmed.status, 'confirmed');
  assert.equal(confirmed.previousRefreshToken, null);
  assert.equal(confirmed.refreshToken, refreshed.refreshToken);
  confirmed.save(file);

  const now = await Session.load(file).check(options);
  assert.equal(now.status, 'valid', 'the new session works');
  assert.equal(now.cookieHeader.includes(refreshed.cookies.find((c) => c.name === 'SESSDATA').value), true);
  const old = await biliQr.check(login, options);
  assert.equal(old.status, 'expired', 'the confirmation retired the old session');
  assert.equal(old.valid, false);

  const out = await biliQr.logout(now, options);
  assert.equal(out.status, 'logged_out');
  assert.equal((await biliQr.check(now, options)).status, 'expired', 'logged out');

  // what the fake server saw: one refresh and one confirmation, in that order
  const paths = (await server.log()).map((r) => r.path).filter((p) => p.includes('/refresh'));
  const mine = paths.filter((p) => p.startsWith(new URL(options.base_url).pathname));
  assert.deepEqual(
    mine.map((p) => p.replace(/^.*\/x\/passport-login\/web\//, '')),
    ['cookie/refresh', 'confirm/refresh'],
  );
});

test('the Sync twins: a refresh without its confirmation leaves the old session valid', { skip: !HAS_REFRESH && 'SKIPPED: the library is older than ABI 3' }, async () => {
  const options = mainOptions();
  const login = await mainLogin(options);
  const old = Session.from(login);
  const refreshed = biliQr.refreshSync(old, options);
  assert.equal(refreshed.status, 'refreshed');
  const file = path.join(dir, 'main-pending.json');
  refreshed.save(file);
  // the process "crashes" here: no refreshConfirm. Both sessions still work.
  assert.equal(biliQr.checkSync(old, options).status, 'valid', 'the old session still works');
  const pending = Session.load(file);
  assert.equal(pending.checkSync(options).status, 'valid', 'the new session works');
  // ...and the confirmation can still be made later, from the saved file
  const confirmed = pending.refreshConfirmSync(options);
  assert.equal(confirmed.status, 'confirmed');
  assert.equal(biliQr.checkSync(old, options).status, 'expired');
  assert.equal(biliQr.logoutSync(confirmed, options).status, 'logged_out');
  assert.equal(confirmed.checkSync(options).status, 'expired');
});

test('refresh errors: an intl session is refused with nothing sent; an aborted signal rejects with its reason', { skip: !HAS_REFRESH && 'SKIPPED: the library is older than ABI 3' }, async () => {
  const sc = scenario('flow=c');
  const intl = { base_url: server.url(sc), api_base_url: server.url(sc) };
  const login = biliQr.pollSync(biliQr.startSync(intl), intl);
  assert.equal(login.status, 'confirmed');
  const e = await rejection(biliQr.refresh(login, intl));
  assert.ok(e instanceof BiliQrError);
  assert.equal(e.status, STATUS.ERR_ARGUMENT);
  assert.throws(() => biliQr.refreshSync(login, intl), (x) => x instanceof BiliQrError && x.status === STATUS.ERR_ARGUMENT);
  assert.throws(() => biliQr.refreshConfirmSync(login, intl), (x) => x instanceof BiliQrError && x.status === STATUS.ERR_ARGUMENT);

  const options = mainOptions();
  const main = await mainLogin(options);
  const ac = new AbortController();
  const reason = new Error('stop');
  ac.abort(reason);
  assert.equal(await rejection(biliQr.refresh(main, options, { signal: ac.signal })), reason);
  assert.equal(await rejection(biliQr.refreshConfirm(main, options, { signal: ac.signal })), reason);
  assert.equal(await rejection(biliQr.logout(main, options, { signal: ac.signal })), reason);
  assert.equal(await rejection(Session.from(main).logout(options, { signal: ac.signal })), reason);
  const sent = (await server.log()).filter((r) => r.path.startsWith(new URL(options.base_url).pathname));
  assert.equal(sent.filter((r) => /refresh|exit/.test(r.path)).length, 0, 'an aborted call sends nothing');
  await assert.rejects(biliQr.refresh(main, options, { signal: 'no' }), (x) => x instanceof BiliQrError && x.status === STATUS.ERR_ARGUMENT);
  // the session was neither refreshed nor logged out
  assert.equal((await biliQr.check(main, options)).status, 'valid');
});

/** Whether the loaded library knows the TV token login: a start with flow 'tv' against the fake server. */
async function tvSupport(options) {
  try {
    return { qr: await biliQr.start(options) };
  } catch (e) {
    if (e instanceof BiliQrError && e.status === STATUS.ERR_ARGUMENT && /\bflow\b/.test(e.message)) {
      return { why: `the loaded library does not know the option flow (${e.message})` };
    }
    throw e;
  }
}

test('TV round trip: token login, save, check, refresh (no confirmation), check new and old, logout', async (t) => {
  const options = { ...mainOptions(), flow: 'tv' };
  const { qr, why } = await tvSupport(options);
  if (!qr) {
    console.log(`SKIPPED: TV round trip: ${why}`);
    t.skip(`SKIPPED: ${why}`);
    return;
  }
  const login = await biliQr.wait(qr, options);
  assert.equal(login.status, 'confirmed');
  assert.equal(login.flow, 'tv');
  assert.match(login.token.access_token, /^[0-9a-f]{32}$/);
  assert.match(login.token.refresh_token, /^[0-9a-f]{32}$/);
  const printed = require('node:util').inspect(login, { depth: null });
  for (const secret of [login.token.access_token, login.token.refresh_token, login.cookie_header]) {
    assert.ok(!printed.includes(secret), 'console.log of a TV login shows no token and no cookie header');
  }

  const session = Session.from(login);
  assert.equal(session.flow, 'tv');
  assert.deepEqual(session.token, login.token);
  const file = path.join(dir, 'tv-session.txt');
  session.save(file); // a token session is saved as JSON whatever the name: only JSON keeps the token
  assert.equal(fileMode(file), 0o600);
  const saved = Session.load(file);
  assert.equal(saved.token.access_token, login.token.access_token);

  const sessionOptions = { site: 'main', base_url: options.base_url, api_base_url: options.api_base_url };
  const checked = await saved.check(sessionOptions);
  assert.equal(checked.status, 'valid');
  assert.equal(typeof checked.refreshNeeded, 'boolean');

  const refreshed = await biliQr.refresh(saved, sessionOptions);
  assert.equal(refreshed.status, 'refreshed');
  assert.notEqual(refreshed.token.access_token, login.token.access_token);
  assert.notEqual(refreshed.token.refresh_token, login.token.refresh_token);
  refreshed.save(file);
  // a token has no confirmation step
  const e = await rejection(biliQr.refreshConfirm(refreshed, sessionOptions));
  assert.equal(e.status, STATUS.ERR_ARGUMENT);

  // the old token works until the new one is used for the first time
  assert.equal((await biliQr.check(login, sessionOptions)).status, 'valid', 'the old token before the new one is used');
  const now = await Session.load(file).check(sessionOptions);
  assert.equal(now.status, 'valid', 'the new token');
  assert.equal((await biliQr.check(login, sessionOptions)).status, 'expired', 'the old token, retired by the first use of the new one');

  const out = await biliQr.logout(now, sessionOptions);
  assert.equal(out.status, 'logged_out');
  // logout ends the web cookies (no token revocation is known): check them as a web session
  const web = { site: 'main', cookies: now.cookies };
  assert.equal((await biliQr.check(web, sessionOptions)).status, 'expired');
});

'use strict';
// Test helpers: the repo's fake passport server (fake-server/PROTOCOL.md) as a child process.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..', '..');

function fakeServerPath() {
  return process.env.BILI_QR_FAKE_SERVER || path.join(ROOT, 'target', 'release', 'bili-qr-fake-server');
}

/**
 * Spawns the fake server (stdin pipe + --watch-stdin: it exits when we do) and reads its base URL.
 * `extraArgs`, e.g. ['--refresh-public-key-out', file]: the server writes that file before it listens.
 */
function startFakeServer(extraArgs = []) {
  return new Promise((resolve, reject) => {
    const args = ['--watch-stdin', '--quiet', ...extraArgs];
    const child = spawn(fakeServerPath(), args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('fake server did not print its address within 10 s'));
    }, 10000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /^listening (http:\/\/127\.0\.0\.1:\d+)$/.exec(line.trim());
      if (!m) {
        child.kill();
        reject(new Error(`unexpected first line from the fake server: ${line}`));
        return;
      }
      resolve(new FakeServer(child, m[1]));
    });
  });
}

class FakeServer {
  constructor(child, base) {
    this.child = child;
    this.base = base;
  }

  /** base_url for a scenario, e.g. url('flow=wsc,id=t1') */
  url(scenario) {
    return `${this.base}/s/${scenario}`;
  }

  async log() {
    const r = await fetch(`${this.base}/__log`);
    if (!r.ok) throw new Error(`/__log answered ${r.status}`);
    return r.json();
  }

  async stats() {
    const r = await fetch(`${this.base}/__stats`);
    return r.json();
  }

  async setState(scenario, ticket, state) {
    const q = new URLSearchParams({ scenario, ticket, state });
    const r = await fetch(`${this.base}/__state?${q}`, { method: 'POST' });
    if (!r.ok) throw new Error(`/__state answered ${r.status}`);
  }

  /** fetch requests of one ticket (optionally within one scenario) seen so far */
  async fetches(ticket, scenario) {
    const log = await this.log();
    return log.filter(
      (rec) =>
        rec.path.endsWith('/qrcode/auth/fetch') &&
        rec.query.ticket === ticket &&
        (scenario === undefined || rec.path.startsWith(`/s/${scenario}/`)),
    );
  }

  stop() {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.stdin.end(); // --watch-stdin: exits on EOF
    });
  }
}

let counter = 0;
/** a scenario string unique to this process and call */
function scenario(spec) {
  counter += 1;
  return `id=node${process.pid}x${counter},${spec}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The fake server of one test file: started before its tests (test.before), stopped after them (test.after).
 * Returns a stand-in whose properties and methods are the running server's (`server.url(sc)`, `server.log()`);
 * touching it outside a test, before the server started, throws.
 */
function useFakeServer(extraArgs = []) {
  const test = require('node:test');
  let running;
  test.before(async () => {
    running = await startFakeServer(extraArgs);
  });
  test.after(async () => {
    if (running) await running.stop();
  });
  return new Proxy(
    {},
    {
      get(_, prop) {
        if (!running) throw new Error('the fake server is not running (use it inside a test)');
        const value = running[prop];
        return typeof value === 'function' ? value.bind(running) : value;
      },
    },
  );
}

/** What fn() throws (the test fails when it returns). */
function caught(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return assert.fail('expected a throw');
}

/** What the promise rejects with (the test fails when it resolves). */
async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return assert.fail('expected the promise to reject');
}

/** A file's permission bits (0o600 for a saved session). */
function fileMode(file) {
  return fs.statSync(file).mode & 0o777;
}

module.exports = { ROOT, startFakeServer, useFakeServer, scenario, sleep, caught, rejection, fileMode };

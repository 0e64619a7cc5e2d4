'use strict';
// index.d.ts checked by the TypeScript compiler: a typical use compiles under --strict, misuse does not.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PKG = path.resolve(__dirname, '..');
const TSC = path.join(PKG, 'node_modules', 'typescript', 'bin', 'tsc');
const FLAGS = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'commonjs', '--types', 'node'];

function tsc(file) {
  return spawnSync(process.execPath, [TSC, ...FLAGS, file], { cwd: PKG, encoding: 'utf8', timeout: 120000 });
}

test('index.d.ts describes a typical use (tsc --strict)', { skip: !fs.existsSync(TSC) && 'typescript not installed' }, () => {
  const r = tsc('test/types/usage.ts');
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('index.d.ts rejects misuse: every line marked ERROR fails to compile', { skip: !fs.existsSync(TSC) && 'typescript not installed' }, () => {
  const file = 'test/types/misuse.ts';
  const r = tsc(file);
  assert.notEqual(r.status, 0);
  const expected = fs
    .readFileSync(path.join(PKG, file), 'utf8')
    .split('\n')
    .map((line, i) => (line.includes('// ERROR') ? i + 1 : 0))
    .filter(Boolean);
  const reported = new Set([...r.stdout.matchAll(/misuse\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])));
  assert.deepEqual([...reported].sort((a, b) => a - b), expected, r.stdout);
});

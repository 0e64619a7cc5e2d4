'use strict';
// One source for each fact (issue 12): the binding's status codes, option names and version are checked
// against the header (include/bili_qr.h, generated from src/ffi/) and the workspace manifest.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./helpers');

const PKG = path.resolve(__dirname, '..');
const HEADER = path.join(ROOT, 'include', 'bili_qr.h');
const inCheckout = fs.existsSync(HEADER);

/** `#define BILI_QR_<NAME> <int>` lines of the header that are status codes */
function headerStatuses() {
  const text = fs.readFileSync(HEADER, 'utf8');
  const out = {};
  for (const m of text.matchAll(/^#define BILI_QR_([A-Z_]+) (-?\d+)\s*$/gm)) {
    if (/^(ABI_VERSION|VERSION_(MAJOR|MINOR|PATCH))$/.test(m[1])) continue;
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** The option keys of the header's "Options" block: lines ` *   key   string|integer|bool ...` */
function headerOptions() {
  const text = fs.readFileSync(HEADER, 'utf8');
  const keys = [...text.matchAll(/^ \*\s{2,}([a-z_]+)\s+(string|integer|bool|boolean)\b/gm)].map((m) => m[1]);
  return [...new Set(keys)].sort();
}

/** The property names of `interface Options` in index.d.ts, read by the TypeScript compiler itself. */
function typedOptions() {
  const ts = require(path.join(PKG, 'node_modules', 'typescript'));
  const file = path.join(PKG, 'index.d.ts');
  const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const iface = src.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === 'Options');
  assert.ok(iface, 'index.d.ts declares interface Options');
  return iface.members.map((m) => m.name.getText(src)).sort();
}

/** The STATUS literal type in index.d.ts */
function typedStatuses() {
  const text = fs.readFileSync(path.join(PKG, 'index.d.ts'), 'utf8');
  const block = /export const STATUS: Readonly<\{([^}]*)\}>/.exec(text);
  assert.ok(block, 'index.d.ts declares STATUS');
  return Object.fromEntries([...block[1].matchAll(/([A-Z_]+): (-?\d+);/g)].map((m) => [m[1], Number(m[2])]));
}

/** version of the workspace ([workspace.package], else the root [package]) */
function cargoVersion() {
  const text = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8');
  for (const section of ['workspace.package', 'package']) {
    const start = text.indexOf(`[${section}]`);
    if (start < 0) continue;
    const body = text.slice(start + section.length + 2).split(/^\[/m)[0];
    const m = /^version\s*=\s*"([^"]+)"/m.exec(body);
    if (m) return m[1];
  }
  throw new Error('no version in Cargo.toml');
}

const skip = !inCheckout && 'not in a bili_qr checkout';

test('STATUS (index.js and index.d.ts) equals the BILI_QR_* status codes of the header', { skip }, () => {
  const fromHeader = headerStatuses();
  assert.ok(Object.keys(fromHeader).length >= 12, `found ${Object.keys(fromHeader).length} status codes in the header`);
  const { STATUS } = require('../lib/errors'); // without loading the native library
  assert.deepEqual({ ...STATUS }, fromHeader);
  assert.deepEqual(typedStatuses(), fromHeader);
});

test('the Options type names exactly the option keys of the header', { skip: (skip || !fs.existsSync(path.join(PKG, 'node_modules', 'typescript'))) && 'no header or no typescript' }, () => {
  const fromHeader = headerOptions();
  assert.ok(fromHeader.length >= 9, `found ${fromHeader.length} options in the header: ${fromHeader}`);
  assert.deepEqual(typedOptions(), fromHeader);
});

test('package.json version is the workspace version (and the library version in a checkout)', { skip }, () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'));
  const lock = JSON.parse(fs.readFileSync(path.join(PKG, 'package-lock.json'), 'utf8'));
  const version = cargoVersion();
  assert.equal(pkg.version, version);
  assert.equal(lock.version, version);
  assert.equal(lock.packages[''].version, version);
  const header = fs.readFileSync(HEADER, 'utf8');
  const part = () => /#define BILI_QR_VERSION_(?:MAJOR|MINOR|PATCH) (\d+)/g;
  const nums = [...header.matchAll(part())].map((m) => m[1]).join('.');
  assert.equal(nums, version, 'BILI_QR_VERSION_MAJOR/MINOR/PATCH');
  assert.equal(require('..').version(), version, 'bili_qr_version() of the loaded library');
});

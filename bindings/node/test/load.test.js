'use strict';
// Which library gets loaded, and the refusal of a missing or foreign one (each case in a fresh process).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('./helpers');

const PKG = path.resolve(__dirname, '..');
const DEFAULT = path.join(ROOT, 'target', 'release', 'libbili_qr.so'); // where the package looks by default
const BUILT = path.resolve(process.env.BILI_QR_LIBRARY || DEFAULT); // the real library, copied around below

/** runs `script` in a fresh node with the given BILI_QR_LIBRARY (undefined: unset) */
function runNode(script, library, cwd = PKG) {
  const env = { ...process.env };
  delete env.BILI_QR_LIBRARY;
  if (library !== undefined) env.BILI_QR_LIBRARY = library;
  return spawnSync(process.execPath, ['-e', script], { cwd, env, encoding: 'utf8', timeout: 20000 });
}

function haveCc() {
  return spawnSync('cc', ['--version']).status === 0;
}

function buildSharedLibrary(dir, source) {
  const c = path.join(dir, 'lib.c');
  const so = path.join(dir, 'libfake.so');
  fs.writeFileSync(c, source);
  const r = spawnSync('cc', ['-shared', '-fPIC', '-o', so, c], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return so;
}

test('without BILI_QR_LIBRARY the package loads ../../target/release/libbili_qr.so', {
  skip: (!process.platform.startsWith('linux') && 'linux file names') || (!fs.existsSync(DEFAULT) && `no ${DEFAULT}`),
}, () => {
  const r = runNode("console.log(require('.').libraryPath)", undefined);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), DEFAULT);
});

test('BILI_QR_LIBRARY wins, and a relative path is taken from the working directory', () => {
  const r = runNode("const b = require('" + PKG + "'); console.log(b.libraryPath, b.ABI_VERSION)", path.relative(ROOT, BUILT), ROOT);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${BUILT} 1`);
});

test('the prebuilds/<platform>-<arch>/ folder is the last resort', { skip: !process.platform.startsWith('linux') }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biliqr-node-'));
  try {
    const pkg = path.join(dir, 'pkg');
    const pre = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(pre, { recursive: true });
    fs.copyFileSync(path.join(PKG, 'index.js'), path.join(pkg, 'index.js'));
    fs.symlinkSync(path.join(PKG, 'node_modules'), path.join(pkg, 'node_modules'));
    fs.copyFileSync(BUILT, path.join(pre, 'libbili_qr.so'));
    const r = runNode("const b = require('.'); console.log(b.libraryPath); console.log(b.render('x', 'matrix').length > 0)", undefined, pkg);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [path.join(pre, 'libbili_qr.so'), 'true']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('inside an Electron app.asar, the prebuild is taken from app.asar.unpacked', { skip: !process.platform.startsWith('linux') }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biliqr-node-'));
  try {
    // stand-ins for resources/app.asar (the archive: JS only) and resources/app.asar.unpacked (native files)
    const pkg = path.join(dir, 'app.asar', 'node_modules', 'bili-qr');
    const pre = path.join(dir, 'app.asar.unpacked', 'node_modules', 'bili-qr', 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(pkg, { recursive: true });
    fs.mkdirSync(pre, { recursive: true });
    fs.copyFileSync(path.join(PKG, 'index.js'), path.join(pkg, 'index.js'));
    fs.symlinkSync(path.join(PKG, 'node_modules'), path.join(pkg, 'node_modules'));
    fs.copyFileSync(BUILT, path.join(pre, 'libbili_qr.so'));
    const r = runNode("console.log(require('.').libraryPath)", undefined, pkg);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), path.join(pre, 'libbili_qr.so'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing library fails loudly, naming where it looked', () => {
  const missing = path.join(os.tmpdir(), 'no-such-dir-biliqr', 'libbili_qr.so');
  const r = runNode("require('.')", missing);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /native library not found/);
  assert.ok(r.stderr.includes(missing), r.stderr);
  assert.match(r.stderr, /BILI_QR_LIBRARY/);
});

test('a library built for another ABI version is refused at load', { skip: !haveCc() && 'no C compiler' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biliqr-node-'));
  try {
    const so = buildSharedLibrary(dir, 'int bili_qr_abi_version(void) { return 2; }\n');
    const r = runNode("require('.')", so);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /ABI version 2/);
    assert.match(r.stderr, /needs version 1/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a shared library that is not bili_qr is refused at load', { skip: !haveCc() && 'no C compiler' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biliqr-node-'));
  try {
    const so = buildSharedLibrary(dir, 'int something_else(void) { return 1; }\n');
    const r = runNode("require('.')", so);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /does not export bili_qr_abi_version/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

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

/** copies the package's JavaScript (index.js, lib/) into `dest`, and links its node_modules (koffi) */
function copyPackage(dest) {
  fs.mkdirSync(dest, { recursive: true });
  fs.copyFileSync(path.join(PKG, 'index.js'), path.join(dest, 'index.js'));
  fs.cpSync(path.join(PKG, 'lib'), path.join(dest, 'lib'), { recursive: true });
  fs.symlinkSync(path.join(PKG, 'node_modules'), path.join(dest, 'node_modules'));
}

/** runs fn(dir) with a fresh temporary directory, removed afterwards */
function inTempDir(fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biliqr-node-'));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** builds fixtures/counting_stub.c as a library of ABI `abi` in `dir` */
function buildStub(dir, abi) {
  const so = path.join(dir, `libstub${abi}.so`);
  const src = path.join(__dirname, 'fixtures', 'counting_stub.c');
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-pthread', `-DSTUB_ABI=${abi}`, '-o', so, src], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  return so;
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
  const m = /^(.*) (\d+)$/.exec(r.stdout.trim());
  assert.ok(m, r.stdout);
  assert.equal(m[1], BUILT);
  assert.ok(Number(m[2]) >= 2, `ABI ${m[2]}`);
});

test('an installed copy (no checkout around it) loads prebuilds/<platform>-<arch>/', { skip: !process.platform.startsWith('linux') }, () => {
  inTempDir((dir) => {
    const pkg = path.join(dir, 'pkg');
    const pre = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(pre, { recursive: true });
    copyPackage(pkg);
    fs.copyFileSync(BUILT, path.join(pre, 'libbili_qr.so'));
    const r = runNode("const b = require('.'); console.log(b.libraryPath); console.log(b.render('x', 'matrix').length > 0)", undefined, pkg);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [path.join(pre, 'libbili_qr.so'), 'true']);
  });
});

test('inside an Electron app.asar, the prebuild is taken from app.asar.unpacked', { skip: !process.platform.startsWith('linux') }, () => {
  inTempDir((dir) => {
    // stand-ins for resources/app.asar (the archive: JS only) and resources/app.asar.unpacked (native files)
    const pkg = path.join(dir, 'app.asar', 'node_modules', 'bili-qr');
    const pre = path.join(dir, 'app.asar.unpacked', 'node_modules', 'bili-qr', 'prebuilds', `${process.platform}-${process.arch}`);
    copyPackage(pkg);
    fs.mkdirSync(pre, { recursive: true });
    fs.copyFileSync(BUILT, path.join(pre, 'libbili_qr.so'));
    const r = runNode("console.log(require('.').libraryPath)", undefined, pkg);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), path.join(pre, 'libbili_qr.so'));
  });
});

test('an installed copy (not in a checkout) never loads a target/release library beside the project', { skip: !process.platform.startsWith('linux') }, () => {
  inTempDir((dir) => {
    // <project>/node_modules/bili-qr without prebuilds, and a decoy <project>/target/release/libbili_qr.so
    const pkg = path.join(dir, 'node_modules', 'bili-qr');
    copyPackage(pkg);
    fs.mkdirSync(path.join(dir, 'target', 'release'), { recursive: true });
    fs.copyFileSync(BUILT, path.join(dir, 'target', 'release', 'libbili_qr.so'));
    const r = runNode("require('.')", undefined, pkg);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /native library not found/);
    assert.ok(r.stderr.includes(path.join(pkg, 'prebuilds', 'linux-x64', 'libbili_qr.so')), r.stderr);
    assert.ok(!r.stderr.includes(path.join(dir, 'target')), 'the decoy was not even looked at');
  });
});

test('a folder without its dependencies (npm links folders) says how to install koffi', () => {
  inTempDir((dir) => {
    const pkg = path.join(dir, 'bili-qr');
    copyPackage(pkg);
    fs.unlinkSync(path.join(pkg, 'node_modules')); // no koffi anywhere above this folder
    const r = runNode("require('.')", BUILT, pkg);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /cannot find its dependency koffi/);
    assert.match(r.stderr, /npm install --install-links <folder>/);
  });
});

test('a missing library fails loudly, naming where it looked', () => {
  const missing = path.join(os.tmpdir(), 'no-such-dir-biliqr', 'libbili_qr.so');
  const r = runNode("require('.')", missing);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /native library not found/);
  assert.ok(r.stderr.includes(missing), r.stderr);
  assert.match(r.stderr, /BILI_QR_LIBRARY/);
});

test('a library of ABI 1 is refused at load: "library is too old"', { skip: !haveCc() && 'no C compiler' }, () => {
  inTempDir((dir) => {
    const so = buildSharedLibrary(dir, 'int bili_qr_abi_version(void) { return 1; }\n');
    const r = runNode("require('.')", so);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /library is too old: ABI 1, this binding needs 2/);
    assert.ok(r.stderr.includes(so), 'the message names the file');
  });
});

test('a library of a later ABI (4) is accepted: a library of version N serves callers of N or less', { skip: !haveCc() && 'no C compiler' }, () => {
  inTempDir((dir) => {
    const so = buildStub(dir, 4);
    const r = runNode("const b = require('.'); console.log(b.ABI_VERSION, b.startSync().ticket)", so);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '4 abc');
  });
});

test('a library of ABI 2 still loads; refresh and refreshConfirm then refuse with ERR_ARGUMENT naming ABI 3', { skip: !haveCc() && 'no C compiler' }, () => {
  inTempDir((dir) => {
    const so = buildStub(dir, 2);
    const script = [
      "const b = require('.');",
      "let sync; try { b.refreshSync('SESSDATA=x'); } catch (e) { sync = e; }",
      "b.refreshConfirm('SESSDATA=x').then(() => process.exit(3), (e) => {",
      "  console.log(b.ABI_VERSION, sync.code, e.code, /ABI 3/.test(sync.message) && /ABI 3/.test(e.message));",
      '});',
    ].join('\n');
    const r = runNode(script, so);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '2 ERR_ARGUMENT ERR_ARGUMENT true');
  });
});

test('a library that says ABI 2 but lacks a v2 function is refused naming it', { skip: !haveCc() && 'no C compiler' }, () => {
  inTempDir((dir) => {
    const so = buildSharedLibrary(
      dir,
      ['int bili_qr_abi_version(void) { return 2; }', 'const char *bili_qr_version(void) { return "x"; }',
        'const char *bili_qr_status_str(int s) { (void)s; return "x"; }', 'const char *bili_qr_last_error(void) { return ""; }',
        'void bili_qr_free(char *s) { (void)s; }', 'int bili_qr_cancel(const char *t) { (void)t; return 0; }', ''].join('\n'),
    );
    const r = runNode("require('.')", so);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /does not export bili_qr_start_ex/);
  });
});

test('a shared library that is not bili_qr is refused at load', { skip: !haveCc() && 'no C compiler' }, () => {
  inTempDir((dir) => {
    const so = buildSharedLibrary(dir, 'int something_else(void) { return 1; }\n');
    const r = runNode("require('.')", so);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /does not export bili_qr_abi_version/);
  });
});

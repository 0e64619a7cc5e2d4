'use strict';
// The native side: finding and loading the bili_qr library, its functions, and the two ways of calling a
// function that hands strings out (synchronously on this thread, or through koffi's `.async` on a libuv
// worker thread).
//
// Errors: every call that can fail goes through its `_ex` variant (ABI 2), which hands the
// library's error message out with the result (`char **out_error`). The message is therefore the library's
// own on every thread; bili_qr_last_error() (per thread) is never needed except for bili_qr_cancel, which
// has no `_ex` twin and is only called synchronously.
//
// Memory rule: every string the library hands out through an out-parameter is received as an opaque pointer
// (`_Out_ void **`), copied into a JS string, and released with bili_qr_free in a `finally` block, also when
// decoding or JSON parsing throws. Nothing else ever frees library memory.

const fs = require('node:fs');
const path = require('node:path');
const { BiliQrError } = require('./errors');

function requireKoffi() {
  try {
    return require('koffi');
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes("'koffi'")) {
      throw new Error(
        `bili-qr: cannot find its dependency koffi from ${path.join(__dirname, '..')}. ` +
          '`npm install <folder>` links a folder without installing its dependencies: install it with ' +
          '`npm install --install-links <folder>`, or run `npm install --omit=dev` in that folder once.',
        { cause: e },
      );
    }
    throw e;
  }
}
const koffi = requireKoffi();

/** The contract version this binding is written for; a library of version N serves callers of N or less. */
const NEEDED_ABI = 2;

const PKG = path.join(__dirname, '..');

function libraryFileName() {
  if (process.platform === 'win32') return 'bili_qr.dll';
  if (process.platform === 'darwin') return 'libbili_qr.dylib';
  return 'libbili_qr.so';
}

/**
 * The C library this Node runs on, on Linux: 'musl' (Alpine) or 'glibc'. Node's own process report names the
 * glibc it runs with (header.glibcVersionRuntime); a musl build of Node has no such field.
 */
function linuxLibc() {
  try {
    const header = process.report && process.report.getReport().header;
    if (header && header.glibcVersionRuntime) return 'glibc';
    if (header) return 'musl';
  } catch (_) {
    // no process report (a stripped-down runtime): fall back to the musl loader's presence below
  }
  try {
    return fs.readdirSync('/lib').some((f) => f.startsWith('ld-musl-')) ? 'musl' : 'glibc';
  } catch (_) {
    return 'glibc';
  }
}

/**
 * The prebuilds/ folder of this platform: `${platform}-${arch}` (linux-x64, linux-arm64, win32-x64, ...), with
 * `-musl` on a musl Linux (linux-x64-musl): a glibc library does not load there, nor the other way round.
 */
function prebuildDir(platform = process.platform, arch = process.arch, libc = platform === 'linux' ? linuxLibc() : '') {
  return `${platform}-${arch}${libc === 'musl' ? '-musl' : ''}`;
}

const ASAR = `${path.sep}app.asar${path.sep}`;
const UNPACKED = `${path.sep}app.asar.unpacked${path.sep}`;

/**
 * True when this package is bindings/node inside a bili_qr checkout (a source tree with the header two
 * levels up), as opposed to an installed copy under someone's node_modules.
 */
function inCheckout() {
  return (
    fs.existsSync(path.join(PKG, '..', '..', 'include', 'bili_qr.h')) &&
    fs.existsSync(path.join(PKG, '..', '..', 'Cargo.toml'))
  );
}

/** The places the library is looked for, in order (see README, "Where the native library comes from"). */
function libraryCandidates() {
  const name = libraryFileName();
  const fromEnv = process.env.BILI_QR_LIBRARY;
  if (fromEnv) return [path.resolve(fromEnv)]; // explicit: no fallback that could pick a stale copy
  const prebuilt = path.join(PKG, 'prebuilds', prebuildDir(), name);
  return [
    // a checkout: the library `cargo build --release` just built wins over a packaged copy
    ...(inCheckout() ? [path.join(PKG, '..', '..', 'target', 'release', name)] : []),
    // Electron: a library cannot be loaded from inside app.asar; packagers unpack it to app.asar.unpacked
    ...(prebuilt.includes(ASAR) ? [prebuilt.replace(ASAR, UNPACKED)] : []),
    prebuilt,
  ];
}

function loadLibrary() {
  const candidates = libraryCandidates();
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(
      `bili-qr: native library not found; looked at ${candidates.join(', ')}. ` +
        `This package carries it under prebuilds/${prebuildDir()}/ when it was built for ` +
        'this platform; otherwise build it with `cargo build --release` or set BILI_QR_LIBRARY to its path.',
    );
  }
  let lib;
  try {
    lib = koffi.load(found);
  } catch (e) {
    throw new Error(`bili-qr: cannot load native library ${found}: ${e.message}`, { cause: e });
  }
  let abiVersion;
  try {
    abiVersion = lib.func('int bili_qr_abi_version(void)')();
  } catch (e) {
    throw new Error(`bili-qr: ${found} does not export bili_qr_abi_version; it is not a bili_qr library`, {
      cause: e,
    });
  }
  if (!(abiVersion >= NEEDED_ABI)) {
    throw new Error(
      `bili-qr: library is too old: ABI ${abiVersion}, this binding needs ${NEEDED_ABI} (${found}; ` +
        'a stale copy in a plugins or prebuilds folder? install the library of this package version)',
    );
  }
  return { lib, found, abiVersion };
}

const { lib, found: libraryPath, abiVersion } = loadLibrary();

const ProgressFn = koffi.proto('int bili_qr_progress_fn(int status, const char *event_json, void *user_data)');

function bind(signature) {
  try {
    return lib.func(signature);
  } catch (e) {
    const name = /(bili_qr_\w+)\(/.exec(signature);
    throw new Error(
      `bili-qr: ${libraryPath} reports ABI ${abiVersion} but does not export ${name ? name[1] : signature}; ` +
        'it is a broken or foreign build',
      { cause: e },
    );
  }
}

const OUT = '_Out_ void **out, _Out_ void **out_error';
const native = {
  version: bind('const char *bili_qr_version(void)'),
  statusStr: bind('const char *bili_qr_status_str(int status)'),
  lastError: bind('const char *bili_qr_last_error(void)'),
  free: bind('void bili_qr_free(void *s)'),
  cancel: bind('int bili_qr_cancel(const char *ticket)'),
  start: bind(`int bili_qr_start_ex(const char *options_json, ${OUT})`),
  poll: bind(`int bili_qr_poll_ex(const char *ticket, const char *options_json, ${OUT})`),
  wait: bind(
    'int bili_qr_wait_ex(const char *ticket, const char *options_json, bili_qr_progress_fn *on_progress, ' +
      `void *user_data, ${OUT})`,
  ),
  render: bind(`int bili_qr_render_ex(const char *text, const char *format, ${OUT})`),
  check: bind(`int bili_qr_check_ex(const char *session, const char *options_json, ${OUT})`),
  logout: bind(`int bili_qr_logout_ex(const char *session, const char *options_json, ${OUT})`),
  convert: bind(`int bili_qr_session_convert_ex(const char *session, const char *format, ${OUT})`),
  // ABI 3 (the mainland site's cookie refresh): null with an older library; the binding's refresh calls
  // then refuse with ERR_ARGUMENT instead of failing to load.
  refresh: abiVersion >= 3 ? bind(`int bili_qr_refresh_ex(const char *session, const char *options_json, ${OUT})`) : null,
  refreshConfirm:
    abiVersion >= 3
      ? bind(`int bili_qr_refresh_confirm_ex(const char *session, const char *options_json, ${OUT})`)
      : null,
  // ABI 3: the library's one session-file writer (atomic, mode 0600). No out-string: only out_error.
  save: abiVersion >= 3 ? bind('int bili_qr_session_save_ex(const char *path, const char *session, _Out_ void **out_error)') : null,
};

/** Copies the library string at `ptr` (UTF-8, NUL-terminated) and always releases it. */
function takeString(ptr) {
  if (ptr === null || ptr === undefined || ptr === 0n) return null;
  try {
    return koffi.decode(ptr, 'char', -1);
  } finally {
    native.free(ptr);
  }
}

/** The error for a status < 0, with the library's message (from out_error) when it gave one. */
function libraryError(status, message) {
  return new BiliQrError(status, message || native.statusStr(status));
}

/**
 * Takes both out-strings of an `_ex` call (both released, whatever happens) and returns `{status, text}`,
 * or throws the BiliQrError for a status < 0.
 */
function finish(status, outPtr, errPtr) {
  let text;
  let message;
  try {
    text = takeString(outPtr); // stays NULL on an error, by contract; released anyway
  } finally {
    message = takeString(errPtr);
  }
  if (status < 0) throw libraryError(status, message);
  return { status, text };
}

/** Calls an `_ex` function on this thread: `callSync(native.poll, ticket, opts)`. */
function callSync(fn, ...args) {
  const out = [null];
  const err = [null];
  const status = fn(...args, out, err);
  return finish(status, out[0], err[0]);
}

/** Calls an `_ex` function that hands out no string (only `out_error`) on this thread; returns the status. */
function callStatusSync(fn, ...args) {
  const err = [null];
  const status = fn(...args, err);
  return finish(status, null, err[0]).status;
}

/** Calls an `_ex` function on a libuv worker thread; resolves with `{status, text}`. */
function callAsync(fn, ...args) {
  return new Promise((resolve, reject) => {
    const out = [null];
    const err = [null];
    fn.async(...args, out, err, (e, status) => {
      if (e) {
        reject(e);
        return;
      }
      try {
        resolve(finish(status, out[0], err[0]));
      } catch (x) {
        reject(x);
      }
    });
  });
}

module.exports = {
  koffi,
  NEEDED_ABI,
  abiVersion,
  libraryPath,
  native,
  ProgressFn,
  takeString,
  finish,
  callSync,
  callStatusSync,
  callAsync,
  libraryError,
};

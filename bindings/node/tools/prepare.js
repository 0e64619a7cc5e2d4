'use strict';
// `prepare` script: in a bili_qr checkout, copies the built native library into prebuilds/<platform>-<arch>/
// so that `npm install --install-links <checkout>/bindings/node` (npm packs the folder) installs a copy
// that finds its library without the checkout. BILI_QR_LIBRARY, when set, names the library to copy.
// Outside a checkout, or before the library is built, it does nothing (and says so).
const fs = require('node:fs');
const path = require('node:path');

const pkg = path.join(__dirname, '..');
const name = process.platform === 'win32' ? 'bili_qr.dll' : process.platform === 'darwin' ? 'libbili_qr.dylib' : 'libbili_qr.so';
const built = process.env.BILI_QR_LIBRARY
  ? path.resolve(process.env.BILI_QR_LIBRARY)
  : path.join(pkg, '..', '..', 'target', 'release', name);
if (!fs.existsSync(built)) {
  console.error(`bili-qr prepare: no ${built}; prebuilds/ left as it is`);
  process.exit(0);
}
const dir = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
fs.mkdirSync(dir, { recursive: true });
fs.copyFileSync(built, path.join(dir, name));
console.error(`bili-qr prepare: copied ${built} to ${path.relative(pkg, dir)}/`);

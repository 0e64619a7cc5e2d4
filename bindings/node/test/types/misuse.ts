// Must NOT compile (test/types.test.js checks tsc rejects each marked line).
import * as biliQr from '../..';

biliQr.start({ base_url: 42 }); // ERROR: base_url is a string
biliQr.render('x', 'png'); // ERROR: unknown format
const n: string = biliQr.cancel('t'); // ERROR: cancel returns a number
biliQr.wait('t', {}, { onProgress: (ev) => ev.mid }); // ERROR: a progress event has no mid
declare const login: biliQr.Login;
const m: number = login.mid; // ERROR: mid may be null
const nm: string = login.user_profile.name ?? ''; // ERROR: user_profile may be null
const w: string = login.warnings; // ERROR: warnings is an array
biliQr.Session.load(1); // ERROR: a path is a string
biliQr.Session.from('x').save('f', { format: 'xml' }); // ERROR: unknown format
biliQr.start({ verify_login: 'yes' }); // ERROR: verify_login is a boolean
const q: biliQr.QrCode = biliQr.start(); // ERROR: start returns a Promise
biliQr.start({ flow: 'app' }); // ERROR: flow is 'web' or 'tv'
biliQr.waitSync('t', {}, { signal: new AbortController().signal }); // ERROR: waitSync takes no signal
const rn: boolean = biliQr.Session.from('x').refreshNeeded; // ERROR: refreshNeeded may be null
void n, m, nm, w, q, rn;

// Must NOT compile (test/types.test.js checks tsc rejects each marked line).
import * as biliQr from '../..';

biliQr.start({ base_url: 42 }); // ERROR: base_url is a string
biliQr.render('x', 'png'); // ERROR: unknown format
const n: string = biliQr.cancel('t'); // ERROR: cancel returns a number
biliQr.wait('t', {}, { onProgress: (ev) => ev.mid }); // ERROR: a progress event has no mid
void n;

// Compiled (not run) by test/types.test.js with `tsc --noEmit --strict`: the declarations must describe the API.
import * as biliQr from '../..';
import { BiliQrError, ExpiredError, Login, PollResult, Cookie, QrCode } from '../..';

export async function example(): Promise<string> {
  const qr: QrCode = biliQr.start({ base_url: 'http://127.0.0.1:1', timeout_ms: 5000 });
  const qr2: QrCode = await biliQr.startAsync('{"locale":"en_US"}');
  const svg: string = biliQr.render(qr.qr_url, 'svg');
  const polled: PollResult = biliQr.poll(qr, { poll_interval_ms: 100 });
  if (polled.status === 'confirmed') {
    const mid: number = polled.mid; // narrowed to Login
    void mid;
  } else {
    const code: number = polled.code;
    void code;
  }
  const p2: PollResult = await biliQr.pollAsync(qr2.ticket);
  void p2;
  const n: number = biliQr.cancel(qr.ticket);
  void n;
  const ac = new AbortController();
  try {
    const login: Login = await biliQr.wait(qr.ticket, undefined, {
      signal: ac.signal,
      onProgress: (ev) => ev.status !== 'scanned',
    });
    const first: Cookie = login.cookies[0];
    const expires: number | null = first.expires;
    void expires;
    return login.cookie_header + svg;
  } catch (e) {
    if (e instanceof ExpiredError) {
      const s: 3 = e.status;
      void s;
    } else if (e instanceof BiliQrError) {
      const code: string = e.code;
      const status: number = e.status;
      void code;
      void status;
    }
    throw e;
  }
}

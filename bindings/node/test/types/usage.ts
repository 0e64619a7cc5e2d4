// Compiled (not run) by test/types.test.js with `tsc --noEmit --strict`: the declarations must describe the API.
import * as biliQr from '../..';
import { BiliQrError, ExpiredError, Login, PollResult, Cookie, QrCode, Session, LogoutResult } from '../..';

export async function example(): Promise<string> {
  const qr: QrCode = biliQr.startSync({ base_url: 'http://127.0.0.1:1', timeout_ms: 5000 });
  const qr2: QrCode = await biliQr.start('{"locale":"en_US"}');
  const qr3: QrCode = await biliQr.startAsync(); // deprecated alias, still typed
  const main: QrCode = await biliQr.start({ site: 'main', www_base_url: 'http://127.0.0.1:1', refresh_public_key: '-----BEGIN PUBLIC KEY-----' });
  const tv: QrCode = await biliQr.start({ site: 'main', flow: 'tv', app_key: 'k', app_secret: 's' });
  void qr3, main, tv;
  const svg: string = biliQr.render(qr.qr_url, 'svg');
  const polled: PollResult = biliQr.pollSync(qr, { poll_interval_ms: 100 });
  if (polled.status === 'confirmed') {
    const mid: number | null = polled.mid; // narrowed to Login; null when the service sent none
    const warnings: string[] = polled.warnings;
    const host: string = polled.host;
    const verified: boolean | undefined = polled.verified;
    const name: string | null = polled.user_profile ? polled.user_profile.name : null;
    const isNew: boolean | null = polled.is_new;
    const goUrl: string | null = polled.go_url;
    const rt: string | null | undefined = polled.refresh_token;
    const access: string | undefined = polled.token?.access_token;
    void mid, warnings, host, verified, name, isNew, goUrl, rt, access;
  } else {
    const code: number = polled.code;
    void code;
  }
  const p2: PollResult = await biliQr.poll(qr2.ticket);
  const p3: PollResult = await biliQr.pollAsync(qr2.ticket);
  void p2, p3;
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
    const session = Session.from(login);
    session.save('/tmp/cookies.txt');
    session.save('/tmp/session.json', { format: 'json' });
    const again = Session.load('/tmp/cookies.txt');
    const checked: Session = await biliQr.check(again, { api_base_url: 'http://127.0.0.1:1', verify_login: false }, { signal: ac.signal });
    if (checked.valid && checked.renewed) checked.save('/tmp/cookies.txt');
    const who: string = `${checked.name ?? '?'} (mid ${checked.mid ?? '?'})`;
    const out: LogoutResult = await checked.logout({ base_url: 'http://127.0.0.1:1' }, { signal: ac.signal });
    const needed: boolean | null = biliQr.checkSync(again).refreshNeeded;
    const refreshed: Session = await biliQr.refresh(checked, { site: 'main' }, { signal: ac.signal });
    refreshed.save('/tmp/cookies.txt');
    const prev: string | null = refreshed.previousRefreshToken;
    const confirmed: Session = await refreshed.refreshConfirm(undefined, { signal: ac.signal });
    const sync: Session = biliQr.refreshConfirmSync(biliQr.refreshSync(confirmed));
    const tok: string | undefined = sync.token?.refresh_token;
    const site: 'main' | 'intl' = sync.site;
    const out2: LogoutResult = biliQr.logoutSync(sync);
    const login2: Login = biliQr.waitSync(qr.ticket, null, { onProgress: (ev) => ev.status === 'waiting' });
    void needed, prev, tok, site, out2, login2;
    const fromHeader: Session = Session.from('SESSDATA=x; bili_jct=y; DedeUserID=1');
    const txt: string = biliQr.convertSession(fromHeader, 'netscape') + session.format('header');
    const st: 'logged_out' | 'expired' = (await biliQr.logout(login)).status;
    void who, out, txt, st;
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

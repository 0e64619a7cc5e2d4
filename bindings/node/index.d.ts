// TypeScript declarations for bili-qr (Node binding of the bili_qr C ABI, version 2 or 3; see docs/ABI.md).

import type { CookieObject, Options, QrObject, StatusCodeName, UserProfileObject } from './lib/abi';
// Options, StatusCodeName, STATUS and the JSON objects' types are generated from abi/bili_qr.toml (lib/abi.d.ts).
export type {
  Options,
  StatusCodeName,
  QrObject,
  CookieObject,
  UserProfileObject,
  PollObject,
  CheckObject,
  LogoutObject,
} from './lib/abi';
export { STATUS } from './lib/abi';

/**
 * The TV/app token login's options (ABI 3, with `site: 'main'`). Declared here until the generated
 * `Options` (lib/abi.d.ts) carries them; a library that does not know them refuses them with ERR_ARGUMENT.
 */
export interface TokenOptions {
  /** 'web' (the default: the web QR login) or 'tv' (the TV token login; needs site 'main') */
  flow?: 'web' | 'tv';
  /** the app key pair that signs the TV requests (both or neither); a token is checked and renewed with its own pair */
  app_key?: string;
  /** a secret */
  app_secret?: string;
}

/** Options object, a JSON string of one, or nothing for the defaults. */
export type OptionsArg = (Options & TokenOptions) | string | null | undefined;

/** A TV login's token: secrets, as the library hands them out. */
export interface TokenObject {
  access_token: string;
  refresh_token: string;
  /** Unix seconds (local clock at the answer plus expires_in), or null when the service sent no lifetime */
  expires_at: number | null;
}

/** What every promise-returning session call (check, logout, refresh, refreshConfirm) accepts. */
export interface SignalHooks {
  /** Aborting rejects at once with `signal.reason` (the request in flight still ends within timeout_ms). */
  signal?: AbortSignal;
}

/** A bare ticket, a URL whose query has `ticket=`, or the object `start()` returned. */
export type TicketArg = string | { ticket: string };

/** What `start()` returns. */
export type QrCode = QrObject;

/** A cookie of a session; `value` is a secret. */
export type Cookie = CookieObject;

/** As the service sent it; a field of another type than documented is null. */
export type UserProfile = UserProfileObject;

/** A poll answered by the service: waiting, scanned or expired. */
export interface PendingResult {
  status: 'waiting' | 'scanned' | 'expired';
  /** the API code (10018101 waiting, 10018102 scanned, 10018100 expired) */
  code: number;
  message: string;
}

/** A confirmed login: the poll object with the session. */
export interface Login {
  status: 'confirmed';
  code: 0;
  message: string;
  /** `data.mid`, else the number in the DedeUserID cookie; null if neither */
  mid: number | null;
  /** null when the service did not send a boolean */
  is_new: boolean | null;
  /** null when the service did not send a string */
  go_url: string | null;
  /** null when the service did not send an object */
  user_profile: UserProfile | null;
  cookies: Cookie[];
  /** `name=value; name=value; ...` ready for a Cookie header; a secret */
  cookie_header: string;
  /** what was odd or which optional step failed (short English; never a secret); empty when all went well */
  warnings: string[];
  /** the base_url host: the host of the host-only cookies (`domain: null`) */
  host: string;
  /** only with `verify_login`: true when the service accepted the new session, false when it could not be asked */
  verified?: boolean;
  /** ABI 3: 'main' for a bilibili.com login (absent for bilibili.tv) */
  site?: 'main' | 'intl';
  /** ABI 3, a mainland web login: the refresh token (a secret), null when the service sent none */
  refresh_token?: string | null;
  /** a TV login: 'tv' */
  flow?: 'web' | 'tv';
  /** a TV login: the token (the credential) */
  token?: TokenObject;
  /** a TV login: the mainland domains its cookies were handed out for */
  cookie_domains?: string[];
}

export type PollResult = PendingResult | Login;

/** What `onProgress` receives after every poll answering waiting or scanned. */
export interface ProgressEvent {
  status: 'waiting' | 'scanned';
  code: number;
  message: string;
}

export interface WaitHooks {
  /**
   * Called on the main thread after every poll that answers waiting or scanned (the worker thread waits
   * for it). Return `false` to cancel the wait (rejects with BiliQrError status -7); throwing cancels it
   * and rejects with the thrown value. Must be synchronous: a returned Promise is not awaited.
   */
  onProgress?: (event: ProgressEvent) => boolean | void;
  /** Aborting cancels the wait through bili_qr_cancel and rejects at once with `signal.reason`. */
  signal?: AbortSignal;
}

export class BiliQrError extends Error {
  /** the library status code: negative for errors, 3 (EXPIRED) for ExpiredError */
  readonly status: number;
  /** the status' name, e.g. 'ERR_HTTP' */
  readonly code: StatusCodeName;
  constructor(status: number, message: string, options?: { cause?: unknown });
}

/** The ticket is dead (status 3): start a new one. */
export class ExpiredError extends BiliQrError {
  readonly status: 3;
  readonly code: 'EXPIRED';
  /** the expired poll object */
  readonly result: PendingResult | null;
  constructor(message: string, result: PendingResult | null);
}

/** The ABI version of the loaded library (2 or later: loading fails with "library is too old" otherwise). */
export const ABI_VERSION: number;
/** Absolute path of the native library that was loaded. */
export const libraryPath: string;

/** Asks for a new QR code, on a libuv worker thread. */
export function start(options?: OptionsArg): Promise<QrCode>;
/** start() on the calling thread (blocks it for one HTTP request). */
export function startSync(options?: OptionsArg): QrCode;
/** @deprecated start() returns the Promise now; startAsync is removed in the next release. */
export function startAsync(options?: OptionsArg): Promise<QrCode>;
/** Asks once for the state of a ticket, on a libuv worker thread. An expired ticket is a result, not an error. */
export function poll(ticket: TicketArg, options?: OptionsArg): Promise<PollResult>;
/** poll() on the calling thread (blocks it for one HTTP request). */
export function pollSync(ticket: TicketArg, options?: OptionsArg): PollResult;
/** @deprecated poll() returns the Promise now; pollAsync is removed in the next release. */
export function pollAsync(ticket: TicketArg, options?: OptionsArg): Promise<PollResult>;
/**
 * Polls until the login ends, on a libuv worker thread. Resolves with the Login; rejects with ExpiredError,
 * BiliQrError (ERR_TIMEOUT after wait_timeout_ms, ERR_CANCELLED, network/HTTP/API errors), signal.reason,
 * or what onProgress threw.
 */
export function wait(ticket: TicketArg, options?: OptionsArg, hooks?: WaitHooks): Promise<Login>;
/**
 * wait() on the calling thread: blocks it (and the event loop) until the login ends. No signal: return
 * false from onProgress to stop. Throws what wait() rejects with.
 */
export function waitSync(ticket: TicketArg, options?: OptionsArg, hooks?: Pick<WaitHooks, 'onProgress'>): Login;
/**
 * Ends every wait running on this ticket in this process; returns how many were signalled. When none runs, the
 * cancel is kept for 30 seconds and the next wait on that ticket rejects at once with ERR_CANCELLED.
 */
export function cancel(ticket: TicketArg): number;
/** Draws text as a QR code: 'utf8' terminal text, 'svg' document, or 'matrix' (lines of 0/1). */
export function render(text: string, format?: 'utf8' | 'svg' | 'matrix'): string;
/** Version of the loaded native library, e.g. "0.2.0". */
export function version(): string;
/** English phrase for a status code (a 32-bit integer; anything else throws ERR_ARGUMENT). */
export function statusString(status: number): string;

/** The session object of the library (docs/ABI.md, "The session object"), as `Session.toJSON()` gives it. */
export interface SessionObject {
  mid: number | null;
  host: string;
  cookies: Cookie[];
  cookie_header: string;
  /** ABI 3: 'main' for a bilibili.com session */
  site?: 'main' | 'intl';
  /** a mainland web session's refresh token (a secret) */
  refresh_token?: string | null;
  /** between refresh() and refreshConfirm(): the replaced session's refresh token (a secret) */
  previous_refresh_token?: string;
  /** after check() of a mainland session: the service wants a refresh (null: could not be asked) */
  refresh_needed?: boolean | null;
  /** a TV token session */
  flow?: 'web' | 'tv';
  token?: TokenObject;
  /** after refresh() */
  warnings?: string[];
  /** after check(): 'valid'/'expired'; after refresh(): 'refreshed'/'expired'; after refreshConfirm(): 'confirmed'/'expired' */
  status?: 'valid' | 'expired' | 'refreshed' | 'confirmed';
  /** after check(): true when the service set new cookie values */
  renewed?: boolean;
  /** after a valid check() */
  name?: string | null;
  face?: string | null;
}

/**
 * What check() and logout() accept: a Session, a confirmed login (from wait/poll), a session object, or text:
 * JSON of either, a Cookie header (`SESSDATA=…; bili_jct=…; DedeUserID=…`) or a Netscape cookies.txt.
 */
export type SessionArg = Session | Login | SessionObject | string;

export type SessionFormat = 'json' | 'header' | 'netscape';

/** A login session (its cookies are secrets: util.inspect shows their names only). */
export class Session {
  constructor(data: SessionObject);
  /** From a login result, a session object, a Cookie header or cookies.txt text (throws ERR_ARGUMENT without SESSDATA). */
  static from(session: SessionArg): Session;
  /** Reads a cookies.txt (Netscape) or JSON session file (at most 1 MiB). */
  static load(path: string): Session;
  readonly mid: number | null;
  readonly host: string | null;
  /** a copy of the cookies */
  readonly cookies: Cookie[];
  /** `SESSDATA=…; bili_jct=…; …` (a secret) */
  readonly cookieHeader: string;
  /** after check(): 'valid' or 'expired'; after refresh(): 'refreshed' (or 'expired'); after refreshConfirm(): 'confirmed' (or 'expired') */
  readonly status: 'valid' | 'expired' | 'refreshed' | 'confirmed' | undefined;
  /** 'main' for a bilibili.com session, else 'intl' */
  readonly site: 'main' | 'intl';
  /** a mainland web session's refresh token (a secret), else null */
  readonly refreshToken: string | null;
  /** between refresh() and refreshConfirm(): the replaced session's token (a secret), else null */
  readonly previousRefreshToken: string | null;
  /** after check() of a mainland session: the service wants a refresh; null when not known */
  readonly refreshNeeded: boolean | null;
  /** a TV session's token (a copy; secrets), else null */
  readonly token: TokenObject | null;
  /** 'tv' for a token session, else 'web' */
  readonly flow: 'web' | 'tv';
  /** after refresh(): what was odd (never a secret) */
  readonly warnings: string[];
  /** after check(): status === 'valid' */
  readonly valid: boolean;
  /** after check(): the service set new cookie values; save the session again */
  readonly renewed: boolean;
  /** after a valid check(): the account's name, else null */
  readonly name: string | null;
  /** after a valid check(): the avatar URL, else null */
  readonly face: string | null;
  toJSON(): SessionObject;
  /** The session as text in one of the library's formats. */
  format(format: SessionFormat): string;
  /** Writes the session atomically (temporary file, fsync, rename), mode 0600; format by default from the name: `.json` → json, else netscape (a TV token session: always json, the only form that keeps the token). */
  save(path: string, options?: { format?: SessionFormat } | null): void;
  check(options?: OptionsArg, hooks?: SignalHooks): Promise<Session>;
  checkSync(options?: OptionsArg): Session;
  logout(options?: OptionsArg, hooks?: SignalHooks): Promise<LogoutResult>;
  logoutSync(options?: OptionsArg): LogoutResult;
  refresh(options?: OptionsArg, hooks?: SignalHooks): Promise<Session>;
  refreshSync(options?: OptionsArg): Session;
  refreshConfirm(options?: OptionsArg, hooks?: SignalHooks): Promise<Session>;
  refreshConfirmSync(options?: OptionsArg): Session;
}

/** The hooks of check() (kept for code written against 0.2). */
export type CheckHooks = SignalHooks;

/** What logout() resolves with. */
export interface LogoutResult {
  /** 'logged_out', or 'expired' when the session had already ended (-101) */
  status: 'logged_out' | 'expired';
  code: number;
  message: string;
}

/**
 * Is the saved session still good? Asks the service (api_base_url) on a worker thread. Resolves with the
 * session to save from now on, `status` 'valid' or 'expired' (answers, not errors); rejects with BiliQrError.
 */
export function check(session: SessionArg, options?: OptionsArg, hooks?: SignalHooks): Promise<Session>;
/** check() on the calling thread (blocks it for the requests). */
export function checkSync(session: SessionArg, options?: OptionsArg): Session;
/** Ends the session at the service (csrf = bili_jct). Rejects with BiliQrError ERR_API when the csrf did not match. */
export function logout(session: SessionArg, options?: OptionsArg, hooks?: SignalHooks): Promise<LogoutResult>;
/** logout() on the calling thread. */
export function logoutSync(session: SessionArg, options?: OptionsArg): LogoutResult;
/**
 * Renews a mainland session (ABI 3): a web session's cookies, or a TV session's token. Resolves with the new
 * session (`status` 'refreshed'; or the session as given with 'expired'). The old web session still works:
 * save the new one, then refreshConfirm() it. Rejects with BiliQrError (ERR_ARGUMENT for an intl session, or
 * a library older than ABI 3).
 */
export function refresh(session: SessionArg, options?: OptionsArg, hooks?: SignalHooks): Promise<Session>;
/** refresh() on the calling thread. */
export function refreshSync(session: SessionArg, options?: OptionsArg): Session;
/** Retires the session a refresh() replaced; resolves with the session to save (`status` 'confirmed'). Web sessions only. */
export function refreshConfirm(session: SessionArg, options?: OptionsArg, hooks?: SignalHooks): Promise<Session>;
/** refreshConfirm() on the calling thread. */
export function refreshConfirmSync(session: SessionArg, options?: OptionsArg): Session;
/** Converts a session to one of the library's formats (no network). */
export function convertSession(session: SessionArg, format: SessionFormat): string;

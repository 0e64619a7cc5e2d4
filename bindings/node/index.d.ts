// TypeScript declarations for bili-qr (Node binding of the bili_qr C ABI, version 2; see docs/ABI.md).

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

/** Options object, a JSON string of one, or nothing for the defaults. */
export type OptionsArg = Options | string | null | undefined;

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

/** Asks for a new QR code (blocks the calling thread for one HTTP request). */
export function start(options?: OptionsArg): QrCode;
/** start() on a libuv worker thread. */
export function startAsync(options?: OptionsArg): Promise<QrCode>;
/** Asks once for the state of a ticket (blocks for one HTTP request). An expired ticket is a result, not an error. */
export function poll(ticket: TicketArg, options?: OptionsArg): PollResult;
/** poll() on a libuv worker thread. */
export function pollAsync(ticket: TicketArg, options?: OptionsArg): Promise<PollResult>;
/**
 * Polls until the login ends, on a libuv worker thread. Resolves with the Login; rejects with ExpiredError,
 * BiliQrError (ERR_TIMEOUT after wait_timeout_ms, ERR_CANCELLED, network/HTTP/API errors), signal.reason,
 * or what onProgress threw.
 */
export function wait(ticket: TicketArg, options?: OptionsArg, hooks?: WaitHooks): Promise<Login>;
/** Ends every wait running on this ticket in this process; returns how many were signalled. */
export function cancel(ticket: TicketArg): number;
/** Draws text as a QR code: 'utf8' terminal text, 'svg' document, or 'matrix' (lines of 0/1). */
export function render(text: string, format?: 'utf8' | 'svg' | 'matrix'): string;
/** Version of the loaded native library, e.g. "0.2.0". */
export function version(): string;
/** English phrase for a status code. */
export function statusString(status: number): string;

/** The session object of the library (docs/ABI.md, "The session object"), as `Session.toJSON()` gives it. */
export interface SessionObject {
  mid: number | null;
  host: string;
  cookies: Cookie[];
  cookie_header: string;
  /** after check() */
  status?: 'valid' | 'expired';
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
  /** after check(): 'valid' or 'expired' */
  readonly status: 'valid' | 'expired' | undefined;
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
  /** Writes the session atomically (temporary file, fsync, rename), mode 0600; format by default from the name: `.json` → json, else netscape. */
  save(path: string, options?: { format?: SessionFormat }): void;
  check(options?: OptionsArg, hooks?: CheckHooks): Promise<Session>;
  logout(options?: OptionsArg): Promise<LogoutResult>;
}

export interface CheckHooks {
  /** Aborting rejects at once with `signal.reason` (the request in flight still ends within timeout_ms). */
  signal?: AbortSignal;
}

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
export function check(session: SessionArg, options?: OptionsArg, hooks?: CheckHooks): Promise<Session>;
/** Ends the session at the service (csrf = bili_jct). Rejects with BiliQrError ERR_API when the csrf did not match. */
export function logout(session: SessionArg, options?: OptionsArg): Promise<LogoutResult>;
/** Converts a session to one of the library's formats (no network). */
export function convertSession(session: SessionArg, format: SessionFormat): string;

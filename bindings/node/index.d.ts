// TypeScript declarations for bili-qr (Node binding of the bili_qr C ABI, version 1).

/** Options as in the C ABI (`options_json`); unknown keys, wrong types and out-of-range values are ERR_ARGUMENT. */
export interface Options {
  /** default `https://passport.bilibili.tv`; http only for loopback hosts; a path prefix is allowed */
  base_url?: string;
  /** sent as `s_locale`, default `en_US` */
  locale?: string;
  /** sent as `platform`, default `web` */
  platform?: string;
  /** bound of one whole request, 1..600000, default 10000 */
  timeout_ms?: number;
  /** 1 to 512 printable ASCII characters */
  user_agent?: string;
  /** `http://`, `https://` or `socks5://` URL; `""` means no proxy; default: the proxy environment variables */
  proxy?: string;
  /** wait only: 100..60000, default 2000 */
  poll_interval_ms?: number;
  /** wait only: 1000..3600000, default 300000 */
  wait_timeout_ms?: number;
  /** wait only: transient errors retried in a row, 0..100, default 3 */
  max_retries?: number;
}

/** Options object, a JSON string of one, or nothing for the defaults. */
export type OptionsArg = Options | string | null | undefined;

/** A bare ticket, a URL whose query has `ticket=`, or the object `start()` returned. */
export type TicketArg = string | { ticket: string };

/** What `start()` returns. */
export interface QrCode {
  ticket: string;
  qr_url: string;
  qr_type: string;
}

export interface Cookie {
  name: string;
  /** exactly as sent by the server (not decoded); a secret */
  value: string;
  /** without a leading dot; null when the cookie had no Domain attribute */
  domain: string | null;
  path: string;
  /** Unix seconds; null for a session cookie */
  expires: number | null;
  secure: boolean;
  http_only: boolean;
}

export interface UserProfile {
  is_userBlankProfile: boolean;
  name: string;
  face: string;
}

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
  mid: number;
  is_new: boolean;
  go_url: string;
  user_profile: UserProfile;
  cookies: Cookie[];
  /** `name=value; name=value; ...` ready for a Cookie header; a secret */
  cookie_header: string;
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

export type StatusCodeName =
  | 'OK'
  | 'WAITING'
  | 'SCANNED'
  | 'EXPIRED'
  | 'ERR_ARGUMENT'
  | 'ERR_NETWORK'
  | 'ERR_TIMEOUT'
  | 'ERR_HTTP'
  | 'ERR_PROTOCOL'
  | 'ERR_API'
  | 'ERR_CANCELLED'
  | 'ERR_INTERNAL'
  | 'ERR_UNKNOWN';

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

export const STATUS: Readonly<{
  OK: 0;
  WAITING: 1;
  SCANNED: 2;
  EXPIRED: 3;
  ERR_ARGUMENT: -1;
  ERR_NETWORK: -2;
  ERR_TIMEOUT: -3;
  ERR_HTTP: -4;
  ERR_PROTOCOL: -5;
  ERR_API: -6;
  ERR_CANCELLED: -7;
  ERR_INTERNAL: -8;
}>;

/** The ABI version of the loaded library (always 1: loading fails otherwise). */
export const ABI_VERSION: 1;
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
/** Version of the loaded native library, e.g. "0.1.0". */
export function version(): string;
/** English phrase for a status code. */
export function statusString(status: number): string;

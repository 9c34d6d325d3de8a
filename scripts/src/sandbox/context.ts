import type { Middleware } from 'koa';
import type { Logger } from 'pino';

/** AppID and AppSecret of one WeChat account (mini-program or official account). */
export interface AppCredentials {
  appId: string;
  appSecret: string;
}

/**
 * Sandbox time in epoch milliseconds: the injected `now` plus an offset that tests and
 * `POST /sandbox/clock` can advance, so code and token expiry are testable without waiting.
 */
export interface SandboxClock {
  now(): number;
  advance(ms: number): void;
  reset(): void;
}

export function createClock(baseNow: () => number): SandboxClock {
  let offsetMs = 0;
  return {
    now: () => baseNow() + offsetMs,
    advance: (ms) => {
      offsetMs += ms;
    },
    reset: () => {
      offsetMs = 0;
    },
  };
}

/** WeChat API endpoints whose calls the sandbox counts, keyed by a short name. */
export const COUNTED_ENDPOINTS = [
  'jscode2session',
  'stable_token',
  'getcallbackip',
  'custom_send',
  'qrcode_create',
  'menu_create',
  'user_info',
] as const;
export type CountedEndpoint = (typeof COUNTED_ENDPOINTS)[number];

/** Number of requests per WeChat endpoint since start or the last reset, failures included. */
export class CallCounter {
  private counts = new Map<CountedEndpoint, number>();

  increment(endpoint: CountedEndpoint): void {
    this.counts.set(endpoint, (this.counts.get(endpoint) ?? 0) + 1);
  }

  /** Returns middleware that counts each request, so put it before any check that rejects one. */
  countRequests(endpoint: CountedEndpoint): Middleware {
    return async (_ctx, next) => {
      this.increment(endpoint);
      await next();
    };
  }

  snapshot(): Record<CountedEndpoint, number> {
    const result = {} as Record<CountedEndpoint, number>;
    for (const endpoint of COUNTED_ENDPOINTS) {
      result[endpoint] = this.counts.get(endpoint) ?? 0;
    }
    return result;
  }

  reset(): void {
    this.counts.clear();
  }
}

/** Errcodes that the code2Session page documents as failures a caller must handle. */
export const SIMULATED_JSCODE2SESSION_ERRCODES = [-1, 40226, 45011] as const;
export type SimulatedJscode2sessionErrcode = (typeof SIMULATED_JSCODE2SESSION_ERRCODES)[number];

/** Test-controlled deviations from normal behaviour, set with `POST /sandbox/behaviour`. */
export interface SandboxBehaviour {
  /** Wait before handling each jscode2session request, in milliseconds of real time. */
  jscode2sessionDelayMs: number;
  /** When set, every jscode2session request fails with this errcode and consumes no code. */
  jscode2sessionErrcode: SimulatedJscode2sessionErrcode | null;
}

export function defaultBehaviour(): SandboxBehaviour {
  return { jscode2sessionDelayMs: 0, jscode2sessionErrcode: null };
}

/** State and services shared by the sandbox's areas (login, token, dev controls). */
export interface SandboxContext {
  /** The mini-program that login codes are issued for. */
  miniProgram: AppCredentials;
  /** Every account that may request access tokens, keyed by AppID, mini-program included. */
  apps: ReadonlyMap<string, AppCredentials>;
  clock: SandboxClock;
  logger: Logger;
  calls: CallCounter;
  behaviour: SandboxBehaviour;
}

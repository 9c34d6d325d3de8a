import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Types } from 'mongoose';
import type { Config } from '../config.js';
import { isDuplicateKeyError } from '../db/errors.js';
import type { Logger } from '../logger.js';
import type { AccessTokenSource } from './access-token-source.js';
import {
  AccessTokenLeaseModel,
  AccessTokenModel,
  type StoredAccessToken,
} from './access-token.model.js';
import { WechatTransportError, type StableToken, type WechatClient } from './api-client.js';

/** A cached token is fetched again once it has less than this left. */
export const ACCESS_TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** Default length of the refresh lease. */
export const DEFAULT_LEASE_MS = 10_000;
/** Default interval at which a copy without the lease reads the token record again. */
export const DEFAULT_POLL_INTERVAL_MS = 100;

export interface WechatAppCredentials {
  appId: string;
  appSecret: string;
}

export interface AccessTokenStoreOptions {
  wechat: Pick<WechatClient, 'stableToken'>;
  /** Every app whose token the store serves. */
  apps: WechatAppCredentials[];
  logger: Logger;
  /**
   * Time a copy may hold the refresh lease, in milliseconds. It must be longer than one
   * stable_token request including its timeout, or a second copy may fetch at the same time.
   */
  leaseMs?: number;
  pollIntervalMs?: number;
  /** Clock in epoch milliseconds for token expiry and leases. Tests move it. */
  now?: () => number;
}

/** Decides whether the stored token already is what the caller needs, so no fetch is required. */
type TokenCheck = (stored: StoredAccessToken | null) => boolean;

interface Lease {
  appId: string;
  id: Types.ObjectId;
}

/**
 * Access tokens shared by all server copies through the database. A normal-mode stable_token call
 * returns the same token to every caller while it is valid, so copies that fetch on expiry never
 * invalidate each other. Only `invalidate` uses force_refresh. A lease keeps fetches to one copy
 * at a time, and the other copies poll the record for the result.
 */
export class AccessTokenStore implements AccessTokenSource {
  private readonly secrets: Map<string, string>;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly now: () => number;
  /** Identifies this store in lease documents, unique even for stores in one process. */
  private readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  /** Running loads by appId, so that concurrent `get` calls in this process share one. */
  private readonly loading = new Map<string, Promise<string>>();
  /** Running replacements by appId and rejected token, shared like `loading`. */
  private readonly replacing = new Map<string, Promise<void>>();

  constructor(private readonly options: AccessTokenStoreOptions) {
    this.secrets = new Map(options.apps.map((app) => [app.appId, app.appSecret]));
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  async get(appId: string): Promise<string> {
    this.secretOf(appId);
    return this.shareInFlight(this.loading, appId, () => this.load(appId));
  }

  async invalidate(appId: string, token: string): Promise<void> {
    this.secretOf(appId);
    await this.shareInFlight(this.replacing, `${appId} ${token}`, () => this.replace(appId, token));
  }

  private async load(appId: string): Promise<string> {
    const seen = await this.readToken(appId);
    if (seen !== null && this.isFresh(seen)) return seen.token;

    // A token fetched after the one seen here is accepted even with less than the margin left,
    // because WeChat may return a token that is close to expiry in normal mode.
    const seenFetchedAt = seen?.fetchedAt.getTime() ?? -Infinity;
    const isCurrent: TokenCheck = (stored) =>
      stored !== null &&
      (this.isFresh(stored) ||
        (stored.fetchedAt.getTime() > seenFetchedAt && stored.expiresAt.getTime() > this.now()));
    const token = await this.refresh(appId, false, isCurrent);
    if (token === null) {
      // isCurrent rejects a missing record, so refresh() always ends with a token here.
      throw new Error(`no access token stored for WeChat app ${appId} after a refresh`);
    }
    return token;
  }

  private async replace(appId: string, rejected: string): Promise<void> {
    const isCurrent: TokenCheck = (stored) => stored === null || stored.token !== rejected;
    if (isCurrent(await this.readToken(appId))) return;
    await this.refresh(appId, true, isCurrent);
  }

  /**
   * Fetches and stores a token under the app's lease unless `isCurrent` accepts the stored one.
   * A copy that cannot take the lease polls the record and takes the lease once it is free or
   * expired, for example after the holder's fetch failed or the holder crashed.
   */
  private async refresh(
    appId: string,
    forceRefresh: boolean,
    isCurrent: TokenCheck,
  ): Promise<string | null> {
    const deadline = this.now() + this.leaseMs;
    let loggedWait = false;
    for (;;) {
      const lease = await this.tryTakeLease(appId);
      if (lease !== null) {
        try {
          // Another copy may have stored a token between our last read and taking the lease.
          const stored = await this.readToken(appId);
          if (isCurrent(stored)) return stored?.token ?? null;
          return await this.fetchAndStore(appId, forceRefresh);
        } finally {
          await this.releaseLease(lease);
        }
      }

      if (this.now() >= deadline) {
        throw new WechatTransportError(
          'stable_token',
          `no access token for ${appId} after waiting ${this.leaseMs} ms for other server ` +
            'copies to refresh it: retry later',
        );
      }
      if (!loggedWait) {
        this.options.logger.debug(
          { appId, forceRefresh },
          'access token refresh waiting for lease',
        );
        loggedWait = true;
      }
      await sleep(this.pollIntervalMs);
      const stored = await this.readToken(appId);
      if (isCurrent(stored)) return stored?.token ?? null;
    }
  }

  private async fetchAndStore(appId: string, forceRefresh: boolean): Promise<string> {
    const startedAt = this.now();
    let fetched: StableToken;
    try {
      fetched = await this.options.wechat.stableToken(appId, this.secretOf(appId), forceRefresh);
    } catch (error) {
      this.options.logger.warn({ appId, forceRefresh, err: error }, 'access token fetch failed');
      throw error;
    }
    const fetchedAt = this.now();
    const document = {
      token: fetched.accessToken,
      expiresAt: new Date(startedAt + fetched.expiresIn * 1000),
      fetchedAt: new Date(fetchedAt),
    };
    try {
      await AccessTokenModel.updateOne({ appId }, { $set: document }, { upsert: true });
    } catch (error) {
      // Two first-time upserts can both insert, and the unique index rejects the second. The
      // record exists now, so a plain update stores this token.
      if (!isDuplicateKeyError(error)) throw error;
      await AccessTokenModel.updateOne({ appId }, { $set: document });
    }
    this.options.logger.info(
      {
        appId,
        forceRefresh,
        expiresInSeconds: fetched.expiresIn,
        durationMs: fetchedAt - startedAt,
      },
      'access token fetched',
    );
    return fetched.accessToken;
  }

  /**
   * Takes the app's refresh lease by inserting its lease document, after deleting an expired one.
   * Returns null when another copy holds a lease that has not expired.
   */
  private async tryTakeLease(appId: string): Promise<Lease | null> {
    // Two attempts: the second runs after a racing copy deleted the same expired lease or
    // released its own between our read and our insert.
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = this.now();
      const currentLease = await AccessTokenLeaseModel.findOne({ appId }).lean();
      if (currentLease !== null) {
        if (currentLease.leaseUntil.getTime() > now) return null;
        // Deleting by _id removes only this expired lease, never one that a racing copy has
        // just inserted in its place.
        await AccessTokenLeaseModel.deleteOne({ _id: currentLease._id });
        this.options.logger.warn(
          { appId, previousOwner: currentLease.owner, leaseUntil: currentLease.leaseUntil },
          'expired access token lease deleted',
        );
      }
      try {
        const created = await AccessTokenLeaseModel.create({
          appId,
          owner: this.owner,
          leaseUntil: new Date(now + this.leaseMs),
        });
        return { appId, id: created._id };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    return null;
  }

  private async releaseLease(lease: Lease): Promise<void> {
    try {
      await AccessTokenLeaseModel.deleteOne({ _id: lease.id });
    } catch (error) {
      // The lease expires on its own, so other copies wait at most leaseMs longer.
      this.options.logger.warn(
        { appId: lease.appId, leaseMs: this.leaseMs, err: error },
        'access token lease release failed',
      );
    }
  }

  private async readToken(appId: string): Promise<StoredAccessToken | null> {
    return AccessTokenModel.findOne({ appId }).lean<StoredAccessToken>();
  }

  private isFresh(stored: StoredAccessToken): boolean {
    return stored.expiresAt.getTime() - this.now() > ACCESS_TOKEN_REFRESH_MARGIN_MS;
  }

  private secretOf(appId: string): string {
    const secret = this.secrets.get(appId);
    if (secret === undefined) {
      throw new Error(
        `no secret configured for WeChat app ${appId}: ` +
          `expected one of ${[...this.secrets.keys()].join(', ')}`,
      );
    }
    return secret;
  }

  private shareInFlight<T>(
    running: Map<string, Promise<T>>,
    key: string,
    run: () => Promise<T>,
  ): Promise<T> {
    const existing = running.get(key);
    if (existing !== undefined) return existing;
    const started = run().finally(() => running.delete(key));
    running.set(key, started);
    return started;
  }
}

/**
 * Creates the store for the mini-program and, when configured, the official account. The lease
 * lasts at least twice the WeChat request timeout, so a holder's fetch ends before it expires.
 */
export function createAccessTokenStore(
  config: Config,
  wechat: WechatClient,
  logger: Logger,
): AccessTokenStore {
  const apps: WechatAppCredentials[] = [
    { appId: config.WECHAT_APP_ID, appSecret: config.WECHAT_APP_SECRET },
  ];
  if (config.WECHAT_OA_APP_ID !== undefined && config.WECHAT_OA_APP_SECRET !== undefined) {
    apps.push({ appId: config.WECHAT_OA_APP_ID, appSecret: config.WECHAT_OA_APP_SECRET });
  }
  return new AccessTokenStore({
    wechat,
    apps,
    logger,
    leaseMs: Math.max(DEFAULT_LEASE_MS, 2 * config.WECHAT_TIMEOUT_MS),
  });
}

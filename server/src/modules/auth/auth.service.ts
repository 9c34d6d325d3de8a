import { setTimeout as sleep } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import type { Types } from 'mongoose';
import type { Config } from '../../config.js';
import { isDuplicateKeyError } from '../../db/errors.js';
import { trusted } from '../../db/trusted.js';
import {
  invalidLoginCode,
  loginCodeReused,
  sessionExpired,
  unauthenticated,
  wechatUnavailable,
} from '../../errors.js';
import type { Logger } from '../../logger.js';
import { WECHAT_ERRCODE, WechatApiError, type WechatClient } from '../../wechat/api-client.js';
import { findOrCreateLearner } from '../learners/learners.service.js';
import { LoginCodeModel } from './login-code.model.js';
import { SessionModel } from './session.model.js';
import { generateToken, hashSecret } from './tokens.js';

const RETRY_POLL_INTERVAL_MS = 100;

export interface AuthDeps {
  config: Pick<Config, 'SESSION_TTL_HOURS' | 'LOGIN_RETRY_WINDOW_SECONDS' | 'WECHAT_TIMEOUT_MS'>;
  wechat: WechatClient;
  logger: Logger;
  now?: () => Date;
}

export interface IssuedSession {
  token: string;
  expiresAt: Date;
  learnerId: Types.ObjectId;
}

/** How long a session read from the database is trusted without reading it again. */
export const AUTH_CACHE_MS = 60_000;
const AUTH_CACHE_ENTRIES = 100_000;

export class AuthService {
  private readonly now: () => Date;
  private readonly sessionCache = new LRUCache<
    string,
    { learnerId: Types.ObjectId; expiresAt: Date }
  >({ max: AUTH_CACHE_ENTRIES, ttl: AUTH_CACHE_MS });

  constructor(private readonly deps: AuthDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Logs a learner in with a one-time WeChat login code. The first request for a code claims it with
   * a unique insert and exchanges it. A concurrent or repeated request for the same code never calls
   * WeChat again: it waits for that exchange and, while the result is fresh, gets a session for the
   * same learner.
   */
  async login(code: string): Promise<IssuedSession> {
    const codeHash = hashSecret(code);
    try {
      await LoginCodeModel.create({ codeHash, state: 'pending', createdAt: this.now() });
    } catch (error) {
      if (isDuplicateKeyError(error)) return this.reuseExchange(codeHash);
      throw error;
    }

    const learnerId = await this.exchangeCode(code, codeHash);
    await LoginCodeModel.updateOne(
      { codeHash },
      { $set: { state: 'succeeded', learnerId, finishedAt: this.now() } },
    );
    return this.issueSession(learnerId);
  }

  /**
   * Resolves a bearer token to its learner, or throws 401. A session found in the database is
   * remembered for `AUTH_CACHE_MS`, so a learner's heartbeats every 15 s cost no session lookup.
   * Sessions are only ever deleted after they expire, and the expiry is checked on every call,
   * so the cache never lets an expired session through.
   */
  async authenticate(token: string): Promise<Types.ObjectId> {
    const tokenHash = hashSecret(token);
    const now = this.now();
    let session = this.sessionCache.get(tokenHash);
    if (!session) {
      const stored = await SessionModel.findOne({ tokenHash }).lean();
      if (!stored) throw unauthenticated();
      session = { learnerId: stored.learnerId, expiresAt: stored.expiresAt };
      this.sessionCache.set(tokenHash, session);
    }
    if (session.expiresAt <= now) throw sessionExpired();
    return session.learnerId;
  }

  /** Deletes expired sessions and login-code records; returns how many of each were removed. */
  async deleteExpired(): Promise<{ sessions: number; loginCodes: number }> {
    const now = this.now();
    const sessions = await SessionModel.deleteMany({ expiresAt: trusted({ $lte: now }) });
    // A code is worth keeping only while WeChat could still accept it (5 minutes) plus margin.
    const codeCutoff = new Date(now.getTime() - 15 * 60_000);
    const loginCodes = await LoginCodeModel.deleteMany({
      createdAt: trusted({ $lte: codeCutoff }),
    });
    return { sessions: sessions.deletedCount, loginCodes: loginCodes.deletedCount };
  }

  private async exchangeCode(code: string, codeHash: string): Promise<Types.ObjectId> {
    try {
      const session = await this.deps.wechat.code2Session(code);
      const learner = await findOrCreateLearner(session.openid, session.unionid, this.now());
      return learner._id;
    } catch (error) {
      const failure = classifyExchangeFailure(error);
      if (failure) {
        await LoginCodeModel.updateOne(
          { codeHash },
          { $set: { state: 'failed', failure, finishedAt: this.now() } },
        );
        throw failure === 'invalid_code' ? invalidLoginCode() : loginCodeReused();
      }

      // WeChat did not respond, so the code may still be unused. Free it for the client's retry.
      await LoginCodeModel.deleteOne({ codeHash, state: 'pending' });
      this.deps.logger.warn({ err: error }, 'login code exchange failed');
      throw wechatUnavailable('WeChat login is temporarily unavailable: retry in a few seconds');
    }
  }

  private async reuseExchange(codeHash: string): Promise<IssuedSession> {
    const deadline = Date.now() + this.deps.config.WECHAT_TIMEOUT_MS + 1000;
    while (Date.now() < deadline) {
      const record = await LoginCodeModel.findOne({ codeHash }).lean();
      if (!record) throw loginCodeReused();

      if (record.state === 'failed') {
        throw record.failure === 'invalid_code' ? invalidLoginCode() : loginCodeReused();
      }
      if (record.state === 'succeeded' && record.learnerId && record.finishedAt) {
        const ageMs = this.now().getTime() - record.finishedAt.getTime();
        if (ageMs > this.deps.config.LOGIN_RETRY_WINDOW_SECONDS * 1000) throw loginCodeReused();
        this.deps.logger.info({ learnerId: record.learnerId }, 'login code retry reused exchange');
        return this.issueSession(record.learnerId);
      }
      await sleep(RETRY_POLL_INTERVAL_MS);
    }
    throw loginCodeReused();
  }

  private async issueSession(learnerId: Types.ObjectId): Promise<IssuedSession> {
    const token = generateToken();
    const createdAt = this.now();
    const expiresAt = new Date(
      createdAt.getTime() + this.deps.config.SESSION_TTL_HOURS * 3_600_000,
    );
    await SessionModel.create({ tokenHash: hashSecret(token), learnerId, createdAt, expiresAt });
    return { token, expiresAt, learnerId };
  }
}

function classifyExchangeFailure(error: unknown): 'invalid_code' | 'code_reused' | null {
  if (!(error instanceof WechatApiError)) return null;
  if (error.errcode === WECHAT_ERRCODE.invalidCode) return 'invalid_code';
  if (error.errcode === WECHAT_ERRCODE.codeUsed) return 'code_reused';
  return null;
}

import type { Types } from 'mongoose';
import { ApiError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { readLearnerContext } from './learner-context.js';
import { buildModelFromDatabase } from './model-from-database.js';
import type { RecommendationModel } from './recommendation-model.js';
import { Recommender, type RecommendationPick } from './recommender.js';

/** A failed rebuild is retried after this long, so an outage does not start one per request. */
const RETRY_AFTER_FAILURE_MS = 60_000;

export interface RecommendationServiceOptions {
  logger: Logger;
  /** How long a built model is served before a rebuild starts, in milliseconds. */
  modelTtlMs: number;
  /** How long the first request waits for the first build before a 503, in milliseconds. */
  firstBuildWaitMs: number;
  now?: () => Date;
}

interface CachedModel {
  model: RecommendationModel;
  recommender: Recommender;
  builtAtMs: number;
}

/**
 * Recommendations for one learner at a time, from a model that each server copy builds on first
 * use and keeps for `modelTtlMs`. After that the stale model serves requests while one rebuild
 * runs in the background. Requests wait only for a server copy's very first build.
 *
 * NOTE: at 600,000 learners and 7,000 courses the cached model keeps about 30 MiB of heap (30.3 MiB
 * after a database build, scripts/bench/recommendations.ts). A build reads every enrolment,
 * completion, binding and employee: 400 to 460 s on FerretDB v1 on the loaded 2-core development
 * VM, with a peak RSS of 636 MiB. Until the first build ends a copy responds 503, and every
 * rebuild repeats the read, so keep the TTL long on FerretDB.
 */
export class RecommendationService {
  private cached: CachedModel | undefined;
  private building: Promise<CachedModel> | undefined;
  private lastFailureMs = -Infinity;
  private readonly now: () => Date;

  constructor(private readonly options: RecommendationServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Returns the learner's top picks and the model they came from. */
  async recommendFor(
    learnerId: Types.ObjectId,
    options: { limit: number; maxPerCategory: number },
  ): Promise<{ model: RecommendationModel; picks: RecommendationPick[] }> {
    const { model, recommender } = await this.currentModel();
    const context = await readLearnerContext(model, learnerId);
    const picks = recommender.recommend(context, { ...options, now: this.now() });
    return { model, picks };
  }

  /** Returns the cached model, starting a rebuild when it is older than the TTL. */
  private async currentModel(): Promise<CachedModel> {
    const nowMs = this.now().getTime();
    const cached = this.cached;
    if (cached) {
      const expired = nowMs - cached.builtAtMs >= this.options.modelTtlMs;
      if (expired && nowMs - this.lastFailureMs >= RETRY_AFTER_FAILURE_MS) {
        void this.startBuild().catch(() => undefined);
      }
      return cached;
    }

    const build = this.startBuild();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ApiError(
              503,
              'service_unavailable',
              'Recommendations are being prepared: retry in a minute',
            ),
          ),
        this.options.firstBuildWaitMs,
      );
    });
    try {
      return await Promise.race([build, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts one build, or returns the one already running. */
  private startBuild(): Promise<CachedModel> {
    this.building ??= (async () => {
      const now = this.now();
      try {
        const { model } = await buildModelFromDatabase({ now, logger: this.options.logger });
        const built = { model, recommender: new Recommender(model), builtAtMs: now.getTime() };
        this.cached = built;
        return built;
      } catch (error) {
        this.lastFailureMs = this.now().getTime();
        this.options.logger.error({ err: error }, 'recommendation model build failed');
        throw error;
      } finally {
        this.building = undefined;
      }
    })();
    return this.building;
  }
}

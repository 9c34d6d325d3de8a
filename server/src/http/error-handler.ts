import type { Middleware } from 'koa';
import type { ApiErrorBody } from '@wxlearn/api-types';
import { ApiError, internalError, validationFailed } from '../errors.js';

interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/**
 * Maps a body-parser failure to an API error: too large → 413, anything else the client sent
 * (malformed JSON, wrong content type, bad encoding) → 400. co-body marks its JSON syntax errors
 * with status 400 but not `expose`, so the status alone decides.
 */
export function requestBodyError(error: unknown): ApiError | unknown {
  const httpError = error as (HttpLikeError & { code?: unknown }) | null;
  const status = httpError?.status ?? httpError?.statusCode;
  if (status === 413) {
    return new ApiError(413, 'payload_too_large', 'The request body is too large');
  }
  if (status && status >= 400 && status < 500) {
    return validationFailed(`Invalid request body: ${httpError?.message ?? 'cannot parse'}`);
  }
  // zlib errors (Z_DATA_ERROR for gzip and deflate, ERR__ERROR_FORMAT_… for brotli) mean a
  // Content-Encoding that does not match the body.
  if (typeof httpError?.code === 'string' && /^(Z_|ERR__ERROR_)/.test(httpError.code)) {
    return validationFailed('Invalid request body: it does not match its Content-Encoding');
  }
  return error;
}

const DATABASE_UNAVAILABLE_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongooseServerSelectionError',
]);

/** True when the database could not be reached, as opposed to a query that failed. */
function isDatabaseUnavailable(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && DATABASE_UNAVAILABLE_ERRORS.has(name)) return true;
  // mongoose reports a command that waited too long for a connection as a plain Error.
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /buffering timed out/.test(message);
}

/** Returns the API error of a known failure, or null for an unknown one. */
function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;

  return null;
}

/**
 * Turns every error into one JSON shape. Known errors keep their status, id and message. Unknown
 * ones are logged with their stack and returned as a generic 500, so no internal detail reaches a
 * client.
 */
export function errorHandler(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ApiError(404, 'not_found', `No route for ${ctx.method} ${ctx.path}`);
      }
      if (ctx.status === 405 && ctx.body === undefined) {
        throw new ApiError(
          405,
          'method_not_allowed',
          `${ctx.method} is not allowed on ${ctx.path}`,
        );
      }
    } catch (error) {
      let apiError = toApiError(error);
      if (!apiError && isDatabaseUnavailable(error)) {
        ctx.state.log.warn({ err: error }, 'database unavailable');
        apiError = new ApiError(
          503,
          'service_unavailable',
          'The service is temporarily unavailable: retry later',
        );
      } else if (!apiError) {
        ctx.state.log.error({ err: error }, 'unhandled error');
        apiError = internalError();
      } else if (apiError.status >= 500) {
        ctx.state.log.warn({ errorId: apiError.id, message: apiError.message }, 'request failed');
      }

      const body: ApiErrorBody = {
        error: {
          id: apiError.id,
          message: apiError.message,
          requestId: ctx.state.requestId,
          ...(apiError.details ? { details: apiError.details } : {}),
        },
      };
      ctx.status = apiError.status;
      ctx.body = body;
    }
  };
}

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
  const httpError = error as HttpLikeError | null;
  const status = httpError?.status ?? httpError?.statusCode;
  if (status === 413) {
    return new ApiError(413, 'payload_too_large', 'The request body is too large');
  }
  if (status && status >= 400 && status < 500) {
    return validationFailed(`Invalid request body: ${httpError?.message ?? 'cannot parse'}`);
  }
  return error;
}

/** Returns the API error of a known failure, or null for an unknown one. */
function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;

  return null;
}

/**
 * Turns every error into one JSON shape. Known errors keep their status, id and message; unknown ones
 * are logged with their stack and returned as a generic 500, so no internal detail reaches a client.
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
      if (!apiError) {
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

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

/** Maps errors thrown by Koa's body parser and router to API errors; everything else is unknown. */
function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;

  const httpError = error as HttpLikeError | null;
  const status = httpError?.status ?? httpError?.statusCode;
  if (!status || status >= 500 || !httpError?.expose) return null;
  if (status === 413) {
    return new ApiError(413, 'payload_too_large', 'The request body is too large');
  }
  if (status === 415 || status === 400) {
    return validationFailed(`Invalid request body: ${httpError.message ?? 'cannot parse'}`);
  }
  return null;
}

/**
 * Turns every error into one JSON shape. Known errors keep their status, id and message; unknown ones
 * are logged with their stack and answered as a generic 500, so no internal detail reaches a client.
 */
export function errorHandler(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ApiError(404, 'not_found', `No route for ${ctx.method} ${ctx.path}`);
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

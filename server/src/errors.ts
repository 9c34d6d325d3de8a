import type { ApiErrorId } from '@wxlearn/api-types';

/** An error that is safe to show to the client: an HTTP status, a stable id and a message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: ApiErrorId,
    message: string,
    readonly details?: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const validationFailed = (message: string, details?: { path: string; message: string }[]) =>
  new ApiError(400, 'validation_failed', message, details);

export const unauthenticated = (message = 'Missing or invalid bearer token: log in again') =>
  new ApiError(401, 'unauthenticated', message);

export const sessionExpired = () =>
  new ApiError(401, 'session_expired', 'The session has expired: log in again');

export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);

export const notFound = (resource: string, id: string) =>
  new ApiError(404, 'not_found', `${resource} ${id} was not found`);

export const invalidLoginCode = () =>
  new ApiError(
    401,
    'invalid_login_code',
    'The login code is invalid or expired: call wx.login again',
  );

export const loginCodeReused = () =>
  new ApiError(
    409,
    'login_code_reused',
    'The login code was already used: call wx.login again for a new code',
  );

export const wechatUnavailable = (message: string) =>
  new ApiError(503, 'wechat_unavailable', message);

export const employeeNotFound = () =>
  new ApiError(
    404,
    'employee_not_found',
    'No employee with this employee number and name: check both against your HR record',
  );

export const employeeAlreadyBound = () =>
  new ApiError(
    409,
    'employee_already_bound',
    'This employee number is bound to another WeChat user',
  );

export const learnerAlreadyBound = () =>
  new ApiError(409, 'learner_already_bound', 'This WeChat user is already bound to an employee');

export const conflict = (id: ApiErrorId, message: string) => new ApiError(409, id, message);

export const internalError = () =>
  new ApiError(500, 'internal_error', 'Internal server error: retry later');

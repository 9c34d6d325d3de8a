import Taro from '@tarojs/taro';
import type { ApiErrorId, LoginResponse } from '@wxlearn/api-types';

import { debugLog } from './debug';
import { ApiError, NetworkError, toApiError } from './errors';
import { isSessionExpired, type SessionStore, type StoredSession } from './session';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  /** Query parameters; `undefined`, `null` and empty strings are left out. */
  query?: Record<string, QueryValue>;
  /** JSON request body. */
  body?: unknown;
}

/** Sends a request without a session token, for the login endpoints. Throws ApiError on non-2xx. */
export type PublicRequest = <T>(method: HttpMethod, path: string, body?: unknown) => Promise<T>;

/** Obtains a one-time login code for `POST /api/auth/login`. */
export type LoginCodeSource = (publicRequest: PublicRequest) => Promise<string>;

export interface ApiClientOptions {
  /** Prefix of every path: an origin such as `http://127.0.0.1:3000`, or empty for same-origin. */
  baseUrl: string;
  sessionStore: SessionStore;
  obtainLoginCode: LoginCodeSource;
  /** Time limit of one HTTP request in milliseconds. */
  timeoutMs?: number;
}

export interface ApiClient {
  /**
   * Sends an authenticated request and returns the parsed JSON body of a 2xx response.
   * Logs in first when there is no valid session. When the server rejects the session (401
   * `unauthenticated` or `session_expired`), logs in again once and retries the request once.
   * Throws ApiError for a non-2xx response and NetworkError when no response arrives.
   */
  request<T>(method: HttpMethod, path: string, options?: RequestOptions): Promise<T>;
  /** Logs in with a new login code and stores the session. Concurrent calls share one login. */
  login(): Promise<LoginResponse>;
}

interface RawResponse {
  statusCode: number;
  data: unknown;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** Error ids of a 401 that a new login can fix. */
const SESSION_ERROR_IDS: readonly ApiErrorId[] = ['unauthenticated', 'session_expired'];

function buildQueryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function isSuccess(statusCode: number): boolean {
  return statusCode >= 200 && statusCode < 300;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const { baseUrl, sessionStore, obtainLoginCode } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let loginInFlight: Promise<LoginResponse> | null = null;

  async function send(
    method: HttpMethod,
    path: string,
    requestOptions: RequestOptions,
    token: string | null,
  ): Promise<RawResponse> {
    const header: Record<string, string> = { Accept: 'application/json' };
    if (token) header.Authorization = `Bearer ${token}`;
    const hasBody = requestOptions.body !== undefined;
    if (hasBody) header['Content-Type'] = 'application/json';
    const url = `${baseUrl}${path}${buildQueryString(requestOptions.query)}`;

    try {
      const response = await Taro.request({
        url,
        method,
        header,
        data: hasBody ? JSON.stringify(requestOptions.body) : undefined,
        dataType: 'json',
        timeout: timeoutMs,
      });
      debugLog('api response', { method, path, statusCode: response.statusCode });
      return { statusCode: response.statusCode, data: response.data as unknown };
    } catch (error) {
      debugLog('api request failed', { method, path, error: String(error) });
      throw new NetworkError(`${method} ${path} failed: ${String(error)}`);
    }
  }

  const publicRequest: PublicRequest = async <T>(
    method: HttpMethod,
    path: string,
    body?: unknown,
  ): Promise<T> => {
    const response = await send(method, path, { body }, null);
    if (!isSuccess(response.statusCode)) throw toApiError(response.statusCode, response.data);
    return response.data as T;
  };

  async function loginOnce(): Promise<LoginResponse> {
    // The server rejects a code as reused when wx.login returned one it had already exchanged. A
    // second, fresh code fixes that, so it is tried once. Any other failure is final.
    for (let codeAttempt = 1; ; codeAttempt += 1) {
      const code = await obtainLoginCode(publicRequest);
      try {
        const login = await publicRequest<LoginResponse>('POST', '/api/auth/login', { code });
        sessionStore.save({ token: login.token, expiresAt: login.expiresAt });
        return login;
      } catch (error) {
        const reused = error instanceof ApiError && error.id === 'login_code_reused';
        if (!reused || codeAttempt >= 2) throw error;
        debugLog('login code reused, fetching a new one');
      }
    }
  }

  function login(): Promise<LoginResponse> {
    if (!loginInFlight) {
      loginInFlight = loginOnce().finally(() => {
        loginInFlight = null;
      });
    }
    return loginInFlight;
  }

  async function currentSession(): Promise<StoredSession> {
    const stored = sessionStore.load();
    if (stored && !isSessionExpired(stored)) return stored;
    const response = await login();
    return { token: response.token, expiresAt: response.expiresAt };
  }

  /** Returns a session other than the rejected one, logging in unless another request already did. */
  async function replaceSession(rejectedToken: string): Promise<StoredSession> {
    const stored = sessionStore.load();
    if (stored && stored.token !== rejectedToken && !isSessionExpired(stored)) return stored;
    sessionStore.clear();
    const response = await login();
    return { token: response.token, expiresAt: response.expiresAt };
  }

  function isSessionRejection(response: RawResponse): boolean {
    if (response.statusCode !== 401) return false;
    const error = toApiError(response.statusCode, response.data);
    return SESSION_ERROR_IDS.includes(error.id);
  }

  async function request<T>(
    method: HttpMethod,
    path: string,
    requestOptions: RequestOptions = {},
  ): Promise<T> {
    const session = await currentSession();
    let response = await send(method, path, requestOptions, session.token);

    if (isSessionRejection(response)) {
      debugLog('session rejected, logging in again', { method, path });
      const renewed = await replaceSession(session.token);
      response = await send(method, path, requestOptions, renewed.token);
    }

    if (!isSuccess(response.statusCode)) throw toApiError(response.statusCode, response.data);
    return response.data as T;
  }

  return { request, login };
}

import type {
  ChannelAskRequest,
  ChannelAskResponse,
  ChannelOutboxAck,
  ChannelOutboxResponse,
} from '@wxlearn/api-types';
import type { Logger } from './logger.js';

export interface ServerClientOptions {
  /** Base URL of the server, such as http://127.0.0.1:3000. */
  baseUrl: string;
  /** BOT_SERVICE_TOKEN, the credential the server expects. */
  token: string;
  /** Milliseconds before a call is abandoned; it is then tried once more. */
  timeoutMs: number;
  logger: Logger;
}

/** Body of `POST /api/assistant/channel-group-codes`: a group message that did not mention the bot. */
export interface GroupCodesRequest {
  channel: 'wechaty';
  senderId: string;
  roomId: string;
  text: string;
}

/**
 * Response of `POST /api/assistant/channel-group-codes`, as the server's assistant-channel routes
 * define it.
 */
export interface GroupCodesResponse {
  /** True when the message quoted a live binding code, which the server has now revoked. */
  revoked: boolean;
  /** The warning to post in the group, or null. */
  reply: string | null;
}

/** A call to the server that failed after its retry, or was rejected with a 4xx status. */
export class ServerCallError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'ServerCallError';
  }
}

/**
 * Calls the server's answering service and outbox over HTTP with the service credential. A call
 * that times out, fails on the network or gets a 5xx is tried once more; a 4xx is not, because it
 * would fail the same way. The server answers a repeated message id once, so retrying an ask is
 * safe.
 */
export class ServerClient {
  constructor(private readonly options: ServerClientOptions) {}

  ask(request: ChannelAskRequest): Promise<ChannelAskResponse> {
    return this.call<ChannelAskResponse>('POST', '/api/assistant/channel-ask', request);
  }

  /** Sends a group message that quotes eight digits, so that the server revokes a binding code. */
  revokeGroupCodes(request: GroupCodesRequest): Promise<GroupCodesResponse> {
    return this.call<GroupCodesResponse>('POST', '/api/assistant/channel-group-codes', request);
  }

  outbox(): Promise<ChannelOutboxResponse> {
    return this.call<ChannelOutboxResponse>('GET', '/api/assistant/channel-outbox');
  }

  async ack(handoffId: string, report: ChannelOutboxAck): Promise<void> {
    await this.call('POST', `/api/assistant/channel-outbox/${handoffId}/ack`, report);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await this.attempt<T>(method, path, body);
    } catch (error) {
      if (error instanceof ServerCallError && error.status !== null && error.status < 500) {
        throw error;
      }
      this.options.logger.warn(
        { method, path, error: error instanceof Error ? error.message : String(error) },
        'server call failed, retrying once',
      );
      return this.attempt<T>(method, path, body);
    }
  }

  private async attempt<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(new URL(path, this.options.baseUrl), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ServerCallError(`${method} ${path} failed: ${reason}`, null);
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ServerCallError(
        `${method} ${path} returned ${response.status}: ${text.slice(0, 300)}`,
        response.status,
      );
    }
    return JSON.parse(text) as T;
  }
}

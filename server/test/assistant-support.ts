// Helpers for the assistant tests: a test server on a clock the test moves, with the platform FAQ
// imported, learners bound to seeded employees, operators, and chat messages sent as the bot.
import { fileURLToPath } from 'node:url';
import type { ChannelAskRequest, ChannelAskResponse } from '@wxlearn/api-types';
import { importFaqFile } from '@wxlearn/scripts/import/faq.js';
import { AdminGrantModel } from '../src/modules/admin/admin-grant.model.js';
import { createEmployee } from './builders.js';
import { startTestServer, type TestResponse, type TestServer } from './harness.js';

/** The FAQ that ships with the platform, in the importer's JSON format. */
export const PLATFORM_FAQ = fileURLToPath(
  new URL('../../scripts/data/faq/platform-faq.json', import.meta.url),
);

/** Imports the platform FAQ and throws on the first problem the importer reports. */
export async function importPlatformFaq(): Promise<void> {
  const report = await importFaqFile(PLATFORM_FAQ);
  if (report.problems.length > 0) {
    throw new Error(`FAQ import failed: ${report.problems[0]?.reason}`);
  }
}

export interface AssistantServerOptions {
  /** BOT_SERVICE_TOKEN, which enables the bot's routes. Without it the server has none. */
  botToken?: string;
  /** The server clock, read by every request. */
  now: () => Date;
}

/** Starts a test server on the given clock and imports the platform FAQ into its database. */
export async function startAssistantTestServer(
  options: AssistantServerOptions,
): Promise<TestServer> {
  const server = await startTestServer(
    options.botToken === undefined ? {} : { BOT_SERVICE_TOKEN: options.botToken },
  );
  server.deps.now = options.now;
  try {
    await importPlatformFaq();
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}

/**
 * Logs in as the sandbox learner `learner` and binds them to the seeded employee `employeeNo`.
 * Throws unless the binding succeeds.
 */
export async function bindEmployee(
  server: TestServer,
  learner: string,
  employeeNo: string,
  name: string,
): Promise<{ token: string; learnerId: string }> {
  const token = await server.loginAs(learner);
  const bound = await server.request<{ id: string }>('POST', '/api/me/binding', {
    token,
    body: { employeeNo, name },
  });
  if (bound.status !== 200) {
    throw new Error(`binding ${employeeNo} failed: ${bound.status} ${bound.text}`);
  }
  return { token, learnerId: bound.body.id };
}

/**
 * Seeds an employee in `orgUnitCode`, binds the learner `learner` to them and grants them the
 * operator role at HQ from the server's current time. Returns the operator's token.
 */
export async function seedOperator(
  server: TestServer,
  learner: string,
  employeeNo: string,
  name: string,
  orgUnitCode: string,
): Promise<string> {
  await createEmployee(employeeNo, name, orgUnitCode);
  const { token } = await bindEmployee(server, learner, employeeNo, name);
  await AdminGrantModel.create({
    employeeNo,
    orgUnitCode: 'HQ',
    role: 'operator',
    createdAt: server.deps.now?.() ?? new Date(),
  });
  return token;
}

/**
 * Sends one chat message to `POST /api/assistant/channel-ask` as the bot does, with `token` as
 * its bearer token (the bot's BOT_SERVICE_TOKEN, or another one to test rejection).
 */
export function postChannelAsk(
  server: TestServer,
  token: string,
  message: Omit<ChannelAskRequest, 'channel'>,
): Promise<TestResponse<ChannelAskResponse>> {
  const body: ChannelAskRequest = {
    channel: 'wechaty',
    senderId: message.senderId,
    messageId: message.messageId,
    text: message.text,
    ...(message.roomId === undefined ? {} : { roomId: message.roomId }),
  };
  return server.request<ChannelAskResponse>('POST', '/api/assistant/channel-ask', { token, body });
}

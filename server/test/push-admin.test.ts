// The operators' report of weekly push runs over HTTP: counts by channel and reason, duration,
// opened links, and who may read it.
import type { ApiErrorBody, PushRunList } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantManager, grantRole } from '../src/modules/admin/grants.service.js';
import { DeliveryModel } from '../src/modules/push/delivery.model.js';
import { recordOpen, setPushOptOut } from '../src/modules/push/push.service.js';
import { createAdminOrg, loginAsEmployee } from './admin-fixtures.js';
import { startTestServer, type TestServer } from './harness.js';
import {
  afterSchedule,
  clearPushData,
  createTestRunner,
  createTestScheduler,
  PUSH_OVERRIDES,
  seedCourses,
  seedLearners,
} from './push-support.js';

let server: TestServer;
let operator: string;
let manager: string;

beforeAll(async () => {
  server = await startTestServer(PUSH_OVERRIDES);
  await createAdminOrg();
  operator = await loginAsEmployee(server, 'P0001', '周运营', '00');
  await grantRole('P0001', '00', 'operator', new Date());
  manager = await loginAsEmployee(server, 'P0002', '吴经理', '00');
  await grantManager('P0002', '00', new Date());
  await clearPushData();
});

afterAll(async () => {
  await server?.close();
});

describe('GET /api/admin/push/runs', () => {
  it('reports counts, duration and opens', async () => {
    await seedCourses(['安全生产规范']);
    const learners = await seedLearners(server, {
      count: 5,
      prefix: 'oAdm',
      follows: (index) => index < 3,
    });
    await setPushOptOut(learners[4]!.learnerId, true, new Date());
    const now = () => afterSchedule(0, 1);
    const outcome = await createTestScheduler(createTestRunner(server, now), server, now).tick();
    expect(outcome.kind).toBe('ran');
    const delivery = await DeliveryModel.findOne({ learnerId: learners[0]!.learnerId }).lean();
    const opened = await recordOpen(delivery!.clickToken, learners[0]!.learnerId, new Date());
    expect(opened.recorded).toBe(true);

    const response = await server.request<PushRunList>('GET', '/api/admin/push/runs', {
      token: operator,
    });

    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(1);
    const [run] = response.body.items;
    expect(run?.week).toBe('2026-W49');
    expect(run?.state).toBe('completed');
    expect(run?.counts?.sent).toBe(4);
    expect(run?.counts?.sentByChannel).toEqual({ template: 3, subscription: 0, in_app: 1 });
    expect(run?.counts?.fellBack).toEqual({});
    expect(run?.counts?.skipped).toEqual({ opted_out: 1 });
    expect(run?.durationMs).toBeGreaterThanOrEqual(0);
    expect(run?.opens).toBe(1);
  });

  it('rejects a manager without the operator role', async () => {
    const response = await server.request<ApiErrorBody>('GET', '/api/admin/push/runs', {
      token: manager,
    });
    expect(response.status).toBe(403);
    expect(response.body.error.id).toBe('forbidden');
  });

  it('rejects a caller without a session', async () => {
    const response = await server.request('GET', '/api/admin/push/runs');
    expect(response.status).toBe(401);
  });

  it('rejects a limit outside 1 to 100', async () => {
    const response = await server.request<ApiErrorBody>('GET', '/api/admin/push/runs?limit=0', {
      token: operator,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('limit');
  });
});

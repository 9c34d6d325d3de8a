import type { ApiErrorBody, LearnerProfile } from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BindingModel } from '../src/modules/learners/binding.model.js';
import { createEmployee, createOrgPath } from './builders.js';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let unitCode: string;

beforeAll(async () => {
  server = await startTestServer();
  unitCode = await createOrgPath('01');
  await createEmployee('10000001', '王小明', unitCode);
  await createEmployee('10000002', '李雷', unitCode);
  await createEmployee('10000003', '韩梅梅', unitCode);
});

afterAll(async () => {
  await server?.close();
});

describe('GET /api/me', () => {
  it('returns the profile without a binding before binding', async () => {
    const token = await server.loginAs('me-unbound');

    const response = await server.request<LearnerProfile>('GET', '/api/me', { token });

    expect(response.status).toBe(200);
    expect(response.body.binding).toBeNull();
    expect(response.body.id).toMatch(/^[0-9a-f]{24}$/);
  });
});

describe('POST /api/me/binding', () => {
  it('binds the learner to the employee and org unit', async () => {
    const token = await server.loginAs('binder-1');

    const response = await server.request<LearnerProfile>('POST', '/api/me/binding', {
      token,
      body: { employeeNo: '10000001', name: '王小明' },
    });

    expect(response.status).toBe(200);
    expect(response.body.binding?.employeeNo).toBe('10000001');
    expect(response.body.binding?.orgUnit.code).toBe(unitCode);
    expect(response.body.binding?.orgUnit.pathNames).toEqual([
      '总部',
      '广东省公司',
      '广州市分公司',
    ]);

    const me = await server.request<LearnerProfile>('GET', '/api/me', { token });
    expect(me.body.binding?.name).toBe('王小明');
  });

  it('accepts the same binding again', async () => {
    const token = await server.loginAs('binder-1');

    const response = await server.request<LearnerProfile>('POST', '/api/me/binding', {
      token,
      body: { employeeNo: '10000001', name: '王小明' },
    });

    expect(response.status).toBe(200);
    expect(await BindingModel.countDocuments({ employeeNo: '10000001' })).toBe(1);
  });

  it('rejects a name that does not match the roster with 404', async () => {
    const token = await server.loginAs('binder-2');

    const response = await server.request<ApiErrorBody>('POST', '/api/me/binding', {
      token,
      body: { employeeNo: '10000002', name: '李四' },
    });

    expect(response.status).toBe(404);
    expect(response.body.error.id).toBe('employee_not_found');
  });

  it('rejects an employee bound to another learner with 409', async () => {
    const token = await server.loginAs('binder-3');

    const response = await server.request<ApiErrorBody>('POST', '/api/me/binding', {
      token,
      body: { employeeNo: '10000001', name: '王小明' },
    });

    expect(response.status).toBe(409);
    expect(response.body.error.id).toBe('employee_already_bound');
  });

  it('rejects a second employee for a bound learner with 409', async () => {
    const token = await server.loginAs('binder-1');

    const response = await server.request<ApiErrorBody>('POST', '/api/me/binding', {
      token,
      body: { employeeNo: '10000002', name: '李雷' },
    });

    expect(response.status).toBe(409);
    expect(response.body.error.id).toBe('learner_already_bound');
  });

  it('lets only one of two concurrent learners bind an employee', async () => {
    const [tokenA, tokenB] = await Promise.all([
      server.loginAs('racer-a'),
      server.loginAs('racer-b'),
    ]);
    const body = { employeeNo: '10000003', name: '韩梅梅' };

    const results = await Promise.all([
      server.request('POST', '/api/me/binding', { token: tokenA, body }),
      server.request('POST', '/api/me/binding', { token: tokenB, body }),
    ]);

    expect(results.map((result) => result.status).sort()).toEqual([200, 409]);
    expect(await BindingModel.countDocuments({ employeeNo: '10000003' })).toBe(1);
  });

  it.each([
    ['missing name', { employeeNo: '10000002' }],
    ['operator in employeeNo', { employeeNo: { $ne: null }, name: '李雷' }],
    ['operator in name', { employeeNo: '10000002', name: { $gt: '' } }],
    ['number employeeNo', { employeeNo: 10000002, name: '李雷' }],
  ])('rejects %s with 400 and binds nothing', async (_name, body) => {
    const token = await server.loginAs('bad-input');
    const before = await BindingModel.countDocuments();

    const response = await server.request<ApiErrorBody>('POST', '/api/me/binding', { token, body });

    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
    expect(await BindingModel.countDocuments()).toBe(before);
  });
});

// Orders of paid courses over HTTP against the WeChat Pay sandbox: creation, reuse, concurrent
// requests, the signed payment parameters, polling, the development payment route, and what a
// purchase opens in the catalog.
import { createVerify } from 'node:crypto';
import type {
  ApiErrorBody,
  CourseDetail,
  CoursePage,
  CreateOrderResponse,
  MyCoursesResponse,
  OrderView,
} from '@wxlearn/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnrolmentModel } from '../src/modules/catalog/enrolment.model.js';
import { LearnerModel } from '../src/modules/learners/learner.model.js';
import { OrderModel } from '../src/modules/orders/order.model.js';
import { TEST_APP_ID } from './harness.js';
import {
  countEnrolments,
  createOrder,
  createPaidCourse,
  payAtSandbox,
  startPayTestServer,
  type PayTestServer,
} from './pay-support.js';

let server: PayTestServer;

beforeAll(async () => {
  server = await startPayTestServer();
});

afterAll(async () => {
  await server?.close();
});

describe('POST /api/orders', () => {
  it('creates an order at the course price with signed payment parameters', async () => {
    const course = await createPaidCourse('ORD-NEW', 9900);
    const token = await server.loginAs('order-new');
    const response = await server.request<CreateOrderResponse>('POST', '/api/orders', {
      token,
      body: { courseId: course.courseId },
    });
    expect(response.status).toBe(201);
    const { order, payment, reused } = response.body;
    expect(reused).toBe(false);
    expect(order.amountFen).toBe(9900);
    expect(order.state).toBe('pending');
    expect(order.courseId).toBe(course.courseId);
    expect(new Date(order.expiresAt).getTime() - new Date(order.createdAt).getTime()).toBe(
      30 * 60_000,
    );
    expect(payment.signType).toBe('RSA');
    expect(payment.package).toMatch(/^prepay_id=wx\d+$/);

    const signed = `${TEST_APP_ID}\n${payment.timeStamp}\n${payment.nonceStr}\n${payment.package}\n`;
    const verifier = createVerify('RSA-SHA256').update(signed);
    expect(verifier.verify(server.merchant.publicKeyPem, payment.paySign, 'base64')).toBe(true);

    const learner = await LearnerModel.findOne({}, { openid: 1 }).sort({ _id: -1 }).lean();
    const atWechat = await server.sandboxRequest<{
      amount: { total: number };
      payer: { openid: string };
      notify_url: string;
      prepay_id: string;
      trade_state: string;
    }>('GET', `/sandbox/pay/orders/WXL${order.id}`);
    expect(atWechat.body.amount.total).toBe(9900);
    expect(atWechat.body.payer.openid).toBe(learner?.openid);
    expect(atWechat.body.notify_url).toBe(`${server.url}/api/pay/notify`);
    expect(`prepay_id=${atWechat.body.prepay_id}`).toBe(payment.package);
    expect(atWechat.body.trade_state).toBe('NOTPAY');
  });

  it('rejects an amount sent by the client', async () => {
    const course = await createPaidCourse('ORD-AMOUNT', 9900);
    const token = await server.loginAs('order-amount');
    const response = await server.request<ApiErrorBody>('POST', '/api/orders', {
      token,
      body: { courseId: course.courseId, amountFen: 1 },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.id).toBe('validation_failed');
    expect(await OrderModel.countDocuments({ courseTitle: '付费课程 ORD-AMOUNT' })).toBe(0);
  });

  it('reuses the unpaid order of the same learner and course', async () => {
    const course = await createPaidCourse('ORD-REUSE', 9900);
    const token = await server.loginAs('order-reuse');
    const first = await createOrder(server, token, course.courseId);
    const second = await server.request<CreateOrderResponse>('POST', '/api/orders', {
      token,
      body: { courseId: course.courseId },
    });
    expect(second.status).toBe(200);
    expect(second.body.reused).toBe(true);
    expect(second.body.order.id).toBe(first.order.id);
    expect(second.body.payment.package).toBe(first.payment.package);
  });

  it('creates one order for concurrent requests', async () => {
    const course = await createPaidCourse('ORD-CONCURRENT', 9900);
    const token = await server.loginAs('order-concurrent');
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        server.request<CreateOrderResponse>('POST', '/api/orders', {
          token,
          body: { courseId: course.courseId },
        }),
      ),
    );
    expect(responses.every((response) => [200, 201].includes(response.status))).toBe(true);
    const ids = new Set(responses.map((response) => response.body.order.id));
    expect(ids.size).toBe(1);
    const packages = new Set(responses.map((response) => response.body.payment.package));
    expect(packages.size).toBe(1);
    expect(await OrderModel.countDocuments({ courseTitle: '付费课程 ORD-CONCURRENT' })).toBe(1);
  });

  it('gives another learner an order of their own', async () => {
    const course = await createPaidCourse('ORD-TWO-LEARNERS', 9900);
    const first = await createOrder(server, await server.loginAs('order-one'), course.courseId);
    const second = await createOrder(server, await server.loginAs('order-two'), course.courseId);
    expect(second.order.id).not.toBe(first.order.id);
  });

  it('replaces an order about to expire and closes it at WeChat Pay', async () => {
    const course = await createPaidCourse('ORD-EXPIRING', 9900);
    const token = await server.loginAs('order-expiring');
    const first = await createOrder(server, token, course.courseId);
    await OrderModel.updateOne(
      { _id: first.order.id },
      { $set: { expiresAt: new Date(Date.now() + 60_000) } },
    );
    const second = await createOrder(server, token, course.courseId);
    expect(second.order.id).not.toBe(first.order.id);
    expect(second.reused).toBe(false);
    const old = await server.request<OrderView>('GET', `/api/orders/${first.order.id}`, { token });
    expect(old.body.state).toBe('closed');
    const atWechat = await server.sandboxRequest<{ trade_state: string }>(
      'GET',
      `/sandbox/pay/orders/WXL${first.order.id}`,
    );
    expect(atWechat.body.trade_state).toBe('CLOSED');
  });

  it('rejects a free course with 409', async () => {
    const course = await createPaidCourse('ORD-FREE', null);
    const token = await server.loginAs('order-free');
    const response = await server.request<ApiErrorBody>('POST', '/api/orders', {
      token,
      body: { courseId: course.courseId },
    });
    expect(response.status).toBe(409);
    expect(response.body.error.id).toBe('course_not_for_sale');
  });

  it('rejects an unknown course with 404', async () => {
    const token = await server.loginAs('order-unknown');
    const response = await server.request<ApiErrorBody>('POST', '/api/orders', {
      token,
      body: { courseId: '0123456789abcdef01234567' },
    });
    expect(response.status).toBe(404);
    expect(response.body.error.id).toBe('not_found');
  });

  it('requires a session', async () => {
    const course = await createPaidCourse('ORD-NO-TOKEN', 9900);
    const response = await server.request('POST', '/api/orders', {
      body: { courseId: course.courseId },
    });
    expect(response.status).toBe(401);
  });

  it('rejects a course already bought with 409', async () => {
    const course = await createPaidCourse('ORD-BOUGHT', 9900);
    const token = await server.loginAs('order-bought');
    const created = await createOrder(server, token, course.courseId);
    await payAtSandbox(server, `WXL${created.order.id}`);
    const again = await server.request<ApiErrorBody>('POST', '/api/orders', {
      token,
      body: { courseId: course.courseId },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.id).toBe('course_already_purchased');
  });
});

describe('GET /api/orders/:id', () => {
  it('returns 404 for another learner', async () => {
    const course = await createPaidCourse('ORD-OTHERS', 9900);
    const created = await createOrder(server, await server.loginAs('order-owner'), course.courseId);
    const stranger = await server.loginAs('order-stranger');
    const response = await server.request<ApiErrorBody>('GET', `/api/orders/${created.order.id}`, {
      token: stranger,
    });
    expect(response.status).toBe(404);
  });

  it('finds a payment at WeChat Pay while the notification is late', async () => {
    const course = await createPaidCourse('ORD-POLL', 9900);
    const token = await server.loginAs('order-poll');
    const created = await createOrder(server, token, course.courseId);
    await payAtSandbox(server, `WXL${created.order.id}`, { notify: 'drop' });

    const soon = await server.request<OrderView>('GET', `/api/orders/${created.order.id}`, {
      token,
    });
    expect(soon.body.state).toBe('pending');
    server.deps.now = () => new Date(Date.now() + 10_000);
    try {
      const later = await server.request<OrderView>('GET', `/api/orders/${created.order.id}`, {
        token,
      });
      expect(later.body.state).toBe('paid');
    } finally {
      server.deps.now = undefined;
    }
    expect(await countEnrolments(course.courseId)).toBe(1);
  });
});

describe('POST /api/dev/orders/:id/pay', () => {
  it('pays through the sandbox, which notifies the server', async () => {
    const course = await createPaidCourse('ORD-DEV-PAY', 9900);
    const token = await server.loginAs('order-dev-pay');
    const created = await createOrder(server, token, course.courseId);
    const response = await server.request('POST', `/api/dev/orders/${created.order.id}/pay`, {
      token,
    });
    expect(response.status).toBe(202);
    await expect
      .poll(async () => {
        const order = await server.request<OrderView>('GET', `/api/orders/${created.order.id}`, {
          token,
        });
        return order.body.state;
      })
      .toBe('paid');
  });

  it('rejects an order that is not pending', async () => {
    const course = await createPaidCourse('ORD-DEV-PAID', 9900);
    const token = await server.loginAs('order-dev-paid');
    const created = await createOrder(server, token, course.courseId);
    await payAtSandbox(server, `WXL${created.order.id}`);
    const response = await server.request<ApiErrorBody>(
      'POST',
      `/api/dev/orders/${created.order.id}/pay`,
      { token },
    );
    expect(response.status).toBe(409);
    expect(response.body.error.id).toBe('order_not_pending');
  });
});

describe('paid course access', () => {
  it('locks the lessons until the course is bought', async () => {
    const course = await createPaidCourse('ACC-LOCK', 9900);
    const token = await server.loginAs('access-lock');
    const locked = await server.request<ApiErrorBody>('GET', `/api/lessons/${course.lessonId}`, {
      token,
    });
    expect(locked.status).toBe(403);
    expect(locked.body.error.id).toBe('purchase_required');

    const created = await createOrder(server, token, course.courseId);
    await payAtSandbox(server, `WXL${created.order.id}`);
    const open = await server.request('GET', `/api/lessons/${course.lessonId}`, { token });
    expect(open.status).toBe(200);
  });

  it('keeps another learner locked out after one bought it', async () => {
    const course = await createPaidCourse('ACC-OTHER', 9900);
    const buyer = await server.loginAs('access-buyer');
    const created = await createOrder(server, buyer, course.courseId);
    await payAtSandbox(server, `WXL${created.order.id}`);
    const other = await server.loginAs('access-other');
    const response = await server.request('GET', `/api/lessons/${course.lessonId}`, {
      token: other,
    });
    expect(response.status).toBe(403);
  });

  it('rejects free enrolment in a paid course', async () => {
    const course = await createPaidCourse('ACC-ENROL', 9900);
    const token = await server.loginAs('access-enrol');
    const response = await server.request<ApiErrorBody>(
      'POST',
      `/api/courses/${course.courseId}/enrolment`,
      { token, body: {} },
    );
    expect(response.status).toBe(403);
    expect(response.body.error.id).toBe('purchase_required');
    expect(await countEnrolments(course.courseId)).toBe(0);
  });

  it('turns a free enrolment into the purchase', async () => {
    const course = await createPaidCourse('ACC-WAS-FREE', 9900);
    const token = await server.loginAs('access-was-free');
    const learner = await LearnerModel.findOne({}, { _id: 1 }).sort({ _id: -1 }).lean();
    await EnrolmentModel.create({
      learnerId: learner?._id,
      courseId: course.courseId,
      source: 'self',
      enrolledAt: new Date(),
    });
    const before = await server.request('GET', `/api/lessons/${course.lessonId}`, { token });
    expect(before.status).toBe(403);

    const created = await createOrder(server, token, course.courseId);
    await payAtSandbox(server, `WXL${created.order.id}`);
    const after = await server.request('GET', `/api/lessons/${course.lessonId}`, { token });
    expect(after.status).toBe(200);
    expect(await countEnrolments(course.courseId)).toBe(1);
    const enrolment = await EnrolmentModel.findOne({ courseId: course.courseId }).lean();
    expect(enrolment?.source).toBe('purchase');
  });

  it('shows the price and purchase state on the course page', async () => {
    const course = await createPaidCourse('ACC-DETAIL', 9900);
    const token = await server.loginAs('access-detail');
    const before = await server.request<CourseDetail>('GET', `/api/courses/${course.courseId}`, {
      token,
    });
    expect(before.body.priceFen).toBe(9900);
    expect(before.body.purchase).toEqual({ priceFen: 9900, purchased: false, hideOnIos: true });

    const created = await createOrder(server, token, course.courseId);
    await payAtSandbox(server, `WXL${created.order.id}`);
    const after = await server.request<CourseDetail>('GET', `/api/courses/${course.courseId}`, {
      token,
    });
    expect(after.body.purchase?.purchased).toBe(true);
    expect(after.body.enrolment?.source).toBe('purchase');
    const mine = await server.request<MyCoursesResponse>('GET', '/api/me/courses', { token });
    expect(mine.body.items.map((item) => item.course.id)).toContain(course.courseId);
  });

  it('shows no purchase state on a free course', async () => {
    const course = await createPaidCourse('ACC-FREE', null);
    const token = await server.loginAs('access-free');
    const detail = await server.request<CourseDetail>('GET', `/api/courses/${course.courseId}`, {
      token,
    });
    expect(detail.body.priceFen).toBeNull();
    expect(detail.body.purchase).toBeNull();
    const lesson = await server.request('GET', `/api/lessons/${course.lessonId}`, { token });
    expect(lesson.status).toBe(200);
  });

  it('lists the price with the course', async () => {
    await createPaidCourse('ACC-LIST', 12_345);
    const token = await server.loginAs('access-list');
    const page = await server.request<CoursePage>(
      'GET',
      '/api/courses?category=付费专区&pageSize=50',
      {
        token,
      },
    );
    const listed = page.body.items.find((item) => item.code === 'ACC-LIST');
    expect(listed?.priceFen).toBe(12_345);
  });

  it('follows PAY_HIDE_ON_IOS', async () => {
    const course = await createPaidCourse('ACC-IOS', 9900);
    const token = await server.loginAs('access-ios');
    server.deps.config.PAY_HIDE_ON_IOS = false;
    try {
      const shown = await server.request<CourseDetail>('GET', `/api/courses/${course.courseId}`, {
        token,
      });
      expect(shown.body.purchase?.hideOnIos).toBe(false);
    } finally {
      server.deps.config.PAY_HIDE_ON_IOS = true;
    }
    const hidden = await server.request<CourseDetail>('GET', `/api/courses/${course.courseId}`, {
      token,
    });
    expect(hidden.body.purchase?.hideOnIos).toBe(true);
  });
});

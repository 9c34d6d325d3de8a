// End-to-end: the in-app notices of the weekly course push in the H5 build against the real stack.
// The test writes a weekly delivery and its in-app notice for a learner, as a push run does for a
// learner that no WeChat channel reaches. The learner opens 消息通知 from 我的, taps the notice and
// lands on the course page, and the server records the open of the notice's link. Then the
// learner turns 每周课程推荐 off, which stays off after a reload and in the API.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { LearnerProfile, PushOptOutStatus } from '@wxlearn/api-types';
import { CourseModel } from '@wxlearn/server/modules/catalog/course.model.js';
import { DeliveryModel } from '@wxlearn/server/modules/push/delivery.model.js';
import {
  InAppNoticeModel,
  PushOpenModel,
} from '@wxlearn/server/modules/push/learner-push.model.js';
import {
  coursePagePath,
  NOTICE_TITLE,
  noticeBody,
} from '@wxlearn/server/modules/push/message-content.js';
import mongoose, { Types } from 'mongoose';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStack } from '../stack/stack.js';
import {
  apiToken,
  e2eArtifactsDir,
  launchChromium,
  newPhonePage,
  recordApiErrors,
  settle,
  startE2eStack,
  visible,
} from './browser.js';

const logger = pino({ name: 'e2e-push', level: process.env.LOG_LEVEL ?? 'warn' });
const LEARNER = 'e2e-push-learner';
const PICK_REASON = '同部门 12 人在学';

let stack: RunningStack;
let browser: Browser;
let token: string;
/** The imported course that the seeded notice recommends. */
let course: { id: Types.ObjectId; title: string };
let deliveryId: Types.ObjectId;
let learnerId: Types.ObjectId;

async function getJson<T>(pathname: string): Promise<T> {
  const response = await fetch(`${stack.url}${pathname}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`${pathname} failed with ${response.status}`);
  return (await response.json()) as T;
}

/** Writes a delivery of the in-app channel and its notice, as a push run does. */
async function seedNotice(): Promise<void> {
  const found = await CourseModel.findOne({ published: true, lessonCount: { $gt: 0 } }).lean();
  if (!found) throw new Error('no published course with lessons was imported');
  course = { id: found._id, title: found.title };

  const clickToken = randomBytes(16).toString('base64url');
  const now = new Date();
  const delivery = await DeliveryModel.create({
    week: '2026-W49',
    learnerId,
    runId: new Types.ObjectId(),
    batch: 'e2e-push-batch',
    channel: 'in_app',
    courseId: course.id,
    courseTitle: course.title,
    pickReason: PICK_REASON,
    clickToken,
    createdAt: now,
  });
  deliveryId = delivery._id;
  await InAppNoticeModel.create({
    learnerId,
    deliveryId,
    week: '2026-W49',
    title: NOTICE_TITLE,
    body: noticeBody({ courseTitle: course.title, pickReason: PICK_REASON }),
    path: `/${coursePagePath(course.id.toHexString(), clickToken)}`,
    courseId: course.id,
    createdAt: now,
  });
}

beforeAll(async () => {
  stack = await startE2eStack(logger, { databaseName: 'e2e-push', employees: 50 });
  await mongoose.connect(stack.mongodbUri, { autoIndex: false, retryWrites: false });

  token = await apiToken(stack.url, LEARNER);
  learnerId = new Types.ObjectId((await getJson<LearnerProfile>('/api/me')).id);
  await seedNotice();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await mongoose.disconnect();
  await stack?.stop();
});

describe('push notices in the H5 app', () => {
  it('opens a notice and turns the weekly push off', async () => {
    const { context, page } = await newPhonePage(browser);
    const apiErrors = recordApiErrors(page, 400);

    // 我的 → 消息通知 lists the seeded notice.
    await page.goto(`${stack.url}/?learner=${LEARNER}#/pages/me/index`);
    await visible(page, 'notices-entry').click();
    await expect.poll(() => visible(page, 'notice-item').count()).toBe(1);
    expect(await visible(page, 'notice-title').innerText()).toBe(NOTICE_TITLE);
    expect(await visible(page, 'notice-body').innerText()).toBe(
      `《${course.title}》：${PICK_REASON}`,
    );
    expect(await visible(page, 'notice-date').innerText()).toMatch(
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/,
    );
    expect(await visible(page, 'push-opt-out-switch').getAttribute('data-checked')).toBe('true');
    await settle(page);
    await page.screenshot({ path: path.join(e2eArtifactsDir, 'push-1-notices.png') });

    // Tapping the notice opens the course through its link, and the server records the open.
    const opened = page.waitForResponse((response) => response.url().includes('/api/push/open?'));
    await visible(page, 'notice-item').click();
    await expect.poll(() => visible(page, 'course-title').innerText()).toBe(course.title);
    expect((await opened).status()).toBe(200);
    await expect.poll(() => PushOpenModel.countDocuments({ _id: deliveryId })).toBe(1);
    const open = await PushOpenModel.findById(deliveryId).lean();
    expect(open?.learnerId.equals(learnerId)).toBe(true);
    expect(open?.courseId.equals(course.id)).toBe(true);
    await settle(page);
    await page.screenshot({ path: path.join(e2eArtifactsDir, 'push-2-course.png') });

    // Turn 每周课程推荐 off on the notices page.
    await page.goBack();
    const saved = page.waitForResponse(
      (response) =>
        response.url().endsWith('/api/me/push-opt-out') && response.request().method() === 'POST',
    );
    await visible(page, 'push-opt-out-switch').click();
    expect((await saved).status()).toBe(200);
    await expect
      .poll(() => visible(page, 'push-opt-out-note').innerText())
      .toBe('将不再收到每周课程推荐');
    expect(await visible(page, 'push-opt-out-switch').getAttribute('data-checked')).toBe('false');
    await settle(page);
    await page.screenshot({ path: path.join(e2eArtifactsDir, 'push-3-opted-out.png') });

    // It stays off after a reload, and the API returns it as off.
    await page.reload();
    await expect
      .poll(() => visible(page, 'push-opt-out-switch').getAttribute('data-checked'))
      .toBe('false');
    expect(await visible(page, 'push-opt-out-switch').locator('input').isChecked()).toBe(false);
    const status = await getJson<PushOptOutStatus>('/api/me/push-opt-out');
    expect(status.optedOut).toBe(true);

    expect(apiErrors).toEqual([]);
    await context.close();
  });
});

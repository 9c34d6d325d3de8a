// End-to-end: the video and document players of the H5 build in Debian's chromium against the real
// stack. The test adds a video lesson (60 s of silent WAV) and a paged document lesson (one SVG per
// page) to an imported course and serves their media from a static server on 127.0.0.1. It plays,
// changes the rate, seeks, pauses and turns pages. Then it checks the heartbeats stored by the
// server and that reopening each lesson resumes at the stored position.
import type { HeartbeatBatchResponse, LearningSessionView } from '@wxlearn/api-types';
import { CourseModel } from '@wxlearn/server/modules/catalog/course.model.js';
import { LessonModel } from '@wxlearn/server/modules/catalog/lesson.model.js';
import { HeartbeatModel } from '@wxlearn/server/modules/learning/heartbeat.model.js';
import mongoose from 'mongoose';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStack } from '../stack/stack.js';
import { launchChromium, newPhonePage, startE2eStack, visible } from './browser.js';
import { pageSvg, silentWav, startStaticServer, type StaticServer } from './media-server.js';

const logger = pino({ name: 'e2e-players', level: process.env.LOG_LEVEL ?? 'warn' });

const VIDEO_SECONDS = 60;
const DOCUMENT_PAGES = 5;
/** Second that the test seeks the video to. */
const SEEK_TARGET = 30;
/** Polls of the browser and the database give up after this long. */
const POLL = { timeout: 15_000, interval: 100 };

let stack: RunningStack;
let media: StaticServer;
let browser: Browser;
let videoLessonId: string;
let documentLessonId: string;

interface StoredBeat {
  seq: number;
  position: number | null;
  playbackRate: number | null;
  paused: boolean;
}

beforeAll(async () => {
  stack = await startE2eStack(logger, { databaseName: 'e2e-players', employees: 50 });

  const files = new Map([
    ['/video/silence.wav', { body: silentWav(VIDEO_SECONDS), contentType: 'audio/wav' }],
  ]);
  for (let page = 1; page <= DOCUMENT_PAGES; page++) {
    files.set(`/document/page-${page}.svg`, { body: pageSvg(page), contentType: 'image/svg+xml' });
  }
  media = await startStaticServer(files);

  await mongoose.connect(stack.mongodbUri, { autoIndex: false, retryWrites: false });
  const course = await CourseModel.findOne({ published: true, lessonCount: { $gt: 0 } });
  const chapter = course?.chapters[0];
  if (!course || !chapter) throw new Error('no published course with a chapter was imported');
  const [video, document] = await LessonModel.create([
    {
      courseId: course._id,
      chapterId: chapter._id,
      position: 1001,
      title: '静音视频',
      type: 'video',
      content: { url: `${media.url}/video/silence.wav`, durationSeconds: VIDEO_SECONDS },
    },
    {
      courseId: course._id,
      chapterId: chapter._id,
      position: 1002,
      title: '分页讲义',
      type: 'document',
      content: { url: `${media.url}/document/page-{page}.svg`, pageCount: DOCUMENT_PAGES },
    },
  ]);
  videoLessonId = String(video?._id);
  documentLessonId = String(document?._id);

  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await mongoose.disconnect();
  await media?.close();
  await stack?.stop();
});

async function heartbeatsOf(sessionId: string): Promise<StoredBeat[]> {
  return HeartbeatModel.find({ sessionId }, { seq: 1, position: 1, playbackRate: 1, paused: 1 })
    .sort({ seq: 1 })
    .lean<StoredBeat[]>();
}

/** Formats seconds as the lesson page's resume hint does, such as "00:32". */
function clock(seconds: number): string {
  const whole = Math.floor(seconds);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(Math.floor(whole / 60))}:${pad(whole % 60)}`;
}

/** Opens a lesson page (or reloads it) and returns the learning session its start call returned. */
async function openLesson(page: Page, open: () => Promise<unknown>): Promise<LearningSessionView> {
  const started = page.waitForResponse(
    (response) =>
      response.url().endsWith('/api/learning/sessions') && response.request().method() === 'POST',
  );
  await open();
  const response = await started;
  expect(response.ok()).toBe(true);
  return (await response.json()) as LearningSessionView;
}

interface LearnerPage {
  context: BrowserContext;
  page: Page;
  /** Heartbeats rejected in heartbeat and end responses, as "sessionId seq: reason". */
  rejected: string[];
}

/** Opens a browser context signed in as `learner` that records rejected heartbeats. */
async function newLearnerPage(learner: string): Promise<LearnerPage> {
  const { context, page } = await newPhonePage(browser);
  const rejected: string[] = [];
  page.on('response', async (response) => {
    if (!/\/api\/learning\/sessions\/[0-9a-f]{24}\/(heartbeats|end)$/.test(response.url())) return;
    const body = (await response.json().catch(() => null)) as HeartbeatBatchResponse | null;
    for (const item of body?.rejected ?? []) {
      rejected.push(`${body?.sessionId} ${item.seq}: ${item.reason}`);
    }
  });
  const login = page.waitForResponse((response) => response.url().endsWith('/api/auth/login'));
  await page.goto(`${stack.url}/?learner=${learner}`);
  expect((await login).status()).toBe(200);
  return { context, page, rejected };
}

describe('lesson players in the H5 app', () => {
  it('video heartbeats and resume', { timeout: 60_000 }, async () => {
    const { context, page, rejected } = await newLearnerPage('e2e-video');
    const lessonUrl = `${stack.url}/#/packages/learning/lesson/index?id=${videoLessonId}`;
    const session = await openLesson(page, () => page.goto(lessonUrl));
    expect(session.resumePosition).toBeNull();

    const video = visible(page, 'video-player').locator('video');
    const currentTime = () => video.evaluate((element: HTMLVideoElement) => element.currentTime);
    await expect
      .poll(() => video.evaluate((element: HTMLVideoElement) => element.readyState), POLL)
      .toBeGreaterThanOrEqual(1);

    // Play with Taro's centre play button, then switch to 1.5x with the page's rate button.
    await page.locator('.taro-video-cover-play-button').locator('visible=true').click();
    await expect.poll(currentTime, POLL).toBeGreaterThan(1);
    await visible(page, 'video-rate').and(page.locator('[data-rate="1.5"]')).click();
    await expect
      .poll(() => video.evaluate((element: HTMLVideoElement) => element.playbackRate), POLL)
      .toBe(1.5);
    await expect.poll(currentTime, POLL).toBeGreaterThan(2.5);

    // Seek as Taro's H5 progress bar does (it sets currentTime on the <video>), then pause.
    await video.evaluate((element: HTMLVideoElement, target) => {
      element.currentTime = target;
    }, SEEK_TARGET);
    await expect.poll(currentTime, POLL).toBeGreaterThan(SEEK_TARGET + 1);
    await video.evaluate((element: HTMLVideoElement) => element.pause());
    const pausedAt = await currentTime();

    await expect
      .poll(
        async () =>
          (await heartbeatsOf(session.id)).some(
            (beat) => beat.paused && (beat.position ?? 0) >= SEEK_TARGET,
          ),
        POLL,
      )
      .toBe(true);
    const beats = await heartbeatsOf(session.id);
    expect(beats[0]?.seq).toBe(1);
    expect(beats.map((beat) => beat.seq)).toEqual(beats.map((_, index) => index + 1));

    const play = beats.find((beat) => !beat.paused && beat.position !== null);
    expect(play?.position).toBe(0);
    expect(play?.playbackRate).toBe(1);

    const rateChange = beats.find((beat) => beat.playbackRate === 1.5);
    expect(rateChange?.paused).toBe(false);
    expect(rateChange?.position).toBeGreaterThan(0);
    expect(rateChange?.position).toBeLessThan(SEEK_TARGET);

    const afterSeekIndex = beats.findIndex((beat) => (beat.position ?? 0) >= SEEK_TARGET);
    const beforeSeek = beats[afterSeekIndex - 1];
    const afterSeek = beats[afterSeekIndex];
    expect(beforeSeek?.position).toBeGreaterThan(2);
    expect(beforeSeek?.position).toBeLessThan(SEEK_TARGET - 20);
    expect(afterSeek?.position).toBeGreaterThanOrEqual(SEEK_TARGET);
    expect(afterSeek?.position).toBeLessThan(SEEK_TARGET + 1);
    expect(afterSeek?.paused).toBe(false);
    expect(afterSeek?.playbackRate).toBe(1.5);

    const pause = beats.find((beat) => beat.paused && (beat.position ?? 0) >= SEEK_TARGET);
    expect(pause?.position).toBeGreaterThan(SEEK_TARGET + 0.5);
    expect(pause?.position).toBeLessThanOrEqual(pausedAt);

    expect(rejected).toEqual([]);

    // Reopen: the session start returns the last stored position and the player moves there. The
    // page may store one more heartbeat as it unloads, so the position is one of the stored ones
    // and not before the last one read above.
    const lastStored = beats.filter((beat) => beat.position !== null).at(-1)?.position ?? 0;
    const reopened = await openLesson(page, () => page.reload());
    expect(reopened.id).not.toBe(session.id);
    const storedPositions = (await heartbeatsOf(session.id)).map((beat) => beat.position);
    expect(storedPositions).toContain(reopened.resumePosition);
    expect(reopened.resumePosition).toBeGreaterThanOrEqual(lastStored);
    const resumeAt = reopened.resumePosition ?? 0;
    await expect
      .poll(() => visible(page, 'lesson-resume').innerText(), POLL)
      .toContain(clock(resumeAt));
    await expect
      .poll(async () => Math.abs((await currentTime()) - resumeAt), POLL)
      .toBeLessThan(0.5);
    expect(await video.evaluate((element: HTMLVideoElement) => element.paused)).toBe(true);

    // The reloaded app resends what the first session still had queued, which the server
    // rejects as duplicates when the earlier copy had arrived.
    const unexpected = rejected.filter(
      (item) => !(item.startsWith(`${session.id} `) && item.endsWith(': duplicate')),
    );
    expect(unexpected).toEqual([]);
    expect(media.requests).toContain('/video/silence.wav');
    await context.close();
  });

  it('document heartbeats and resume', { timeout: 60_000 }, async () => {
    const { context, page, rejected } = await newLearnerPage('e2e-document');
    const lessonUrl = `${stack.url}/#/packages/learning/lesson/index?id=${documentLessonId}`;
    const session = await openLesson(page, () => page.goto(lessonUrl));
    expect(session.resumePosition).toBeNull();

    const indicator = visible(page, 'document-page-indicator');
    const image = visible(page, 'document-page-image').locator('img');
    await expect.poll(() => indicator.innerText(), POLL).toBe(`第 1 / ${DOCUMENT_PAGES} 页`);
    await expect
      .poll(() => image.getAttribute('src'), POLL)
      .toBe(`${media.url}/document/page-1.svg`);

    await visible(page, 'document-next').click();
    await expect.poll(() => indicator.innerText(), POLL).toBe(`第 2 / ${DOCUMENT_PAGES} 页`);
    await visible(page, 'document-next').click();
    await expect.poll(() => indicator.innerText(), POLL).toBe(`第 3 / ${DOCUMENT_PAGES} 页`);
    await expect
      .poll(() => image.getAttribute('src'), POLL)
      .toBe(`${media.url}/document/page-3.svg`);
    await expect
      .poll(
        () =>
          image.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth),
        POLL,
      )
      .toBeGreaterThan(0);

    const positions = async () =>
      (await heartbeatsOf(session.id)).flatMap((beat) =>
        beat.position === null ? [] : [beat.position],
      );
    await expect.poll(positions, POLL).toEqual([1, 2, 3]);
    expect(rejected).toEqual([]);

    // Reopen: the document opens at the stored page and records it in the new session.
    const reopened = await openLesson(page, () => page.reload());
    expect(reopened.resumePosition).toBe(3);
    await expect.poll(() => indicator.innerText(), POLL).toBe(`第 3 / ${DOCUMENT_PAGES} 页`);
    expect(await visible(page, 'lesson-resume').innerText()).toContain('上次看到第 3 页');
    await expect
      .poll(() => image.getAttribute('src'), POLL)
      .toBe(`${media.url}/document/page-3.svg`);
    await expect
      .poll(
        async () =>
          (await heartbeatsOf(reopened.id))
            .map((beat) => beat.position)
            .filter((item) => item !== null),
        POLL,
      )
      .toEqual([3]);

    const unexpected = rejected.filter(
      (item) => !(item.startsWith(`${session.id} `) && item.endsWith(': duplicate')),
    );
    expect(unexpected).toEqual([]);
    await context.close();
  });
});

import type { PushNotice, PushRunView } from '@wxlearn/api-types';
import type { InAppNotice } from './learner-push.model.js';
import type { PushRunWithOpens } from './push-runs.service.js';
import type { PushRunCounts } from './run-counts.js';

export function presentNotice(notice: InAppNotice): PushNotice {
  return {
    id: notice._id.toHexString(),
    title: notice.title,
    body: notice.body,
    path: notice.path,
    courseId: notice.courseId.toHexString(),
    createdAt: notice.createdAt.toISOString(),
  };
}

export function presentPushRun({ run, opens }: PushRunWithOpens): PushRunView {
  return {
    week: run.week,
    state: run.state,
    attempt: run.attempt,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationMs: run.durationMs ?? null,
    counts: (run.counts as PushRunCounts | null) ?? null,
    opens,
  };
}

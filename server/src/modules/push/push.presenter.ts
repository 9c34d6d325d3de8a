import type { PushNotice } from '@wxlearn/api-types';
import type { InAppNotice } from './learner-push.model.js';

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

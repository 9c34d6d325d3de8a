// Content of the weekly message on each channel. Template messages follow WeChat's rules since
// 4 May 2023: no colours, no first or remark line, no emoji or line breaks, and at most 20
// characters per keyword. Subscription-message `thing` keywords have the same 20-character limit.
import type { MessageData } from '../../wechat/push-messages.js';

/** Maximum length of a template keyword value and of a `thing` keyword, in characters. */
export const KEYWORD_MAX_CHARS = 20;

/**
 * Keywords of the weekly template. The template chosen as PUSH_TEMPLATE_ID (and
 * PUSH_SUBSCRIBE_TEMPLATE_ID) in the WeChat console must have these two `thing` keywords: the
 * course name and the reason it was picked.
 */
export const MESSAGE_KEYWORDS = { course: 'thing1', reason: 'thing2' } as const;

/** Mini-program page of a course; `pt` carries the click token that GET /api/push/open takes. */
export const COURSE_PAGE = 'packages/course/detail/index';

export const NOTICE_TITLE = '本周为你推荐';

// Pictographs, skin-tone modifiers, flags (regional indicators), keycap marks, variation
// selector 16 and the zero-width joiner that builds emoji sequences.
const EMOJI =
  /\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}|\u20E3|\uFE0F|\u200D/gu;
const WHITESPACE = /\s+/g;

/**
 * Makes text fit one keyword: emoji dropped, line breaks and runs of spaces made one space, and
 * cut to `maxChars` characters (code points) with "…" as the last one when it was longer.
 */
export function fitKeyword(text: string, maxChars = KEYWORD_MAX_CHARS): string {
  const clean = text.replace(EMOJI, '').replace(WHITESPACE, ' ').trim();
  const chars = [...clean];
  if (chars.length <= maxChars) return clean;
  return `${chars
    .slice(0, maxChars - 1)
    .join('')
    .trimEnd()}…`;
}

/** Page path of the course with the click token, without a leading slash as WeChat expects. */
export function coursePagePath(courseId: string, clickToken: string): string {
  return `${COURSE_PAGE}?id=${encodeURIComponent(courseId)}&pt=${encodeURIComponent(clickToken)}`;
}

export interface MessageSubject {
  courseTitle: string;
  pickReason: string;
}

/** Keyword data of the template and subscription messages. */
export function messageData(subject: MessageSubject): MessageData {
  return {
    [MESSAGE_KEYWORDS.course]: { value: fitKeyword(subject.courseTitle) || '推荐课程' },
    [MESSAGE_KEYWORDS.reason]: { value: fitKeyword(subject.pickReason) || '为你推荐' },
  };
}

/** Body of the in-app notice, which has no length limit of WeChat's. */
export function noticeBody(subject: MessageSubject): string {
  return `《${subject.courseTitle}》：${subject.pickReason}`;
}

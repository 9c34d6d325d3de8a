// Page logic of the document player, as pure functions. A document position is a 1-based page
// number.
import type { HeartbeatExtras } from './learning-session';

/** Placeholder in a document URL that stands for the page number, as in `.../page-{page}.png`. */
export const PAGE_PLACEHOLDER = '{page}';

/** True when the URL names one image per page through `PAGE_PLACEHOLDER`. */
export function hasPagePlaceholder(url: string): boolean {
  return url.includes(PAGE_PLACEHOLDER);
}

/** Returns the address of one page's image, with every placeholder replaced by the page number. */
export function pageImageUrl(urlTemplate: string, page: number): string {
  return urlTemplate.split(PAGE_PLACEHOLDER).join(String(page));
}

/** Returns the last page, or null when the lesson stores no positive page count. */
export function lastPage(pageCount: number): number | null {
  return Number.isInteger(pageCount) && pageCount >= 1 ? pageCount : null;
}

/**
 * Returns `page` rounded to a whole page and moved into 1 to `pageCount`, with no upper bound when
 * the page count is unknown.
 */
export function clampPage(page: number, pageCount: number): number {
  const last = lastPage(pageCount);
  const whole = Number.isFinite(page) ? Math.round(page) : 1;
  const atLeastFirst = Math.max(1, whole);
  return last === null ? atLeastFirst : Math.min(atLeastFirst, last);
}

/** Returns the page to open a document at: the stored position when it is a page, else page 1. */
export function resumePage(resumePosition: number | null, pageCount: number): number {
  if (resumePosition === null) return 1;
  return clampPage(resumePosition, pageCount);
}

export interface PageChange {
  page: number;
  /** Heartbeat to send for the change, or null when the page shown stays the same. */
  heartbeat: HeartbeatExtras | null;
}

/**
 * Moves the document to `target`, kept inside the document. `current` is null while no page has
 * been placed yet, and then showing any page, page 1 included, is a change that sends a heartbeat.
 */
export function changePage(current: number | null, target: number, pageCount: number): PageChange {
  const page = clampPage(target, pageCount);
  if (page === current) return { page, heartbeat: null };
  return { page, heartbeat: { position: page } };
}

/** File types that WeChat's `openDocument` opens. */
const OPENABLE_TYPES = ['doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'pdf'] as const;

export type OpenableFileType = (typeof OPENABLE_TYPES)[number];

/**
 * Returns the file type named by the extension of the URL's path, for `openDocument`, or null
 * when the path ends in no extension that it opens.
 */
export function documentFileType(url: string): OpenableFileType | null {
  const path = url.split(/[?#]/)[0] ?? '';
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return OPENABLE_TYPES.find((type) => type === extension) ?? null;
}

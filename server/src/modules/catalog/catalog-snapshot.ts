import mongoose from 'mongoose';
import {
  CATALOG_REVISION_ID,
  CatalogRevisionModel,
  markCatalogChanged,
} from './catalog-revision.model.js';
import { CourseModel, type Course } from './course.model.js';

/**
 * Maximum age of a snapshot in milliseconds. A write through CourseModel makes snapshots reload
 * at once, so this bound only matters for writes made around mongoose (a database shell).
 * NOTE: the first request after a catalog write or after this age waits for the reload, which
 * reads every published course: 0.1 s for the 131-course catalog and 4.7 s for 7,131 courses on FerretDB v1
 * with PostgreSQL (2-core VM, test/catalog-search-latency.test.ts).
 */
export const SNAPSHOT_MAX_AGE_MS = 5 * 60_000;

/** Course fields that lists need: no tokens, description, chapters or import source. */
export const LIST_PROJECTION = {
  searchTokens: 0,
  titleTokens: 0,
  description: 0,
  chapters: 0,
  source: 0,
} as const;

/** A course as lists show it: every field except the heavy ones left out by LIST_PROJECTION. */
export type CourseListItem = Omit<
  Course,
  'searchTokens' | 'titleTokens' | 'description' | 'chapters' | 'source'
>;

export interface CategoryCount {
  name: string;
  courseCount: number;
  children: { name: string; courseCount: number }[];
}

/** The published courses of the catalog in code order, with category counts. */
export interface CatalogSnapshot {
  revision: string;
  database: string;
  loadedAt: number;
  courses: CourseListItem[];
  byId: Map<string, CourseListItem>;
  categories: CategoryCount[];
}

let current: CatalogSnapshot | undefined;
let currentSequence = 0;
let loadsStarted = 0;
let loading: { revision: string; database: string; promise: Promise<CatalogSnapshot> } | undefined;

/**
 * Returns the published courses as of the current catalog revision, with one read of the
 * revision document per call. Listing or counting courses reads every row on FerretDB v1,
 * because it sorts, skips and counts outside PostgreSQL. So each server copy keeps the list in
 * memory and reloads it when the revision changes or the snapshot is older than
 * SNAPSHOT_MAX_AGE_MS.
 */
export async function getCatalogSnapshot(): Promise<CatalogSnapshot> {
  const database = mongoose.connection.name;
  const stored = await CatalogRevisionModel.findById(CATALOG_REVISION_ID).lean();
  const revision = stored?.revision ?? (await markCatalogChanged());

  const fresh =
    current !== undefined &&
    current.revision === revision &&
    current.database === database &&
    Date.now() - current.loadedAt < SNAPSHOT_MAX_AGE_MS;
  if (fresh && current) return current;

  // Requests that see the same revision share one load instead of each reading every course.
  if (loading?.revision !== revision || loading.database !== database) {
    const promise = loadSnapshot(revision, database).finally(() => {
      if (loading?.promise === promise) loading = undefined;
    });
    loading = { revision, database, promise };
  }
  return loading.promise;
}

async function loadSnapshot(revision: string, database: string): Promise<CatalogSnapshot> {
  const sequence = ++loadsStarted;
  const courses = await CourseModel.find({ published: true }, LIST_PROJECTION)
    .sort({ code: 1 })
    .lean<CourseListItem[]>();
  const snapshot: CatalogSnapshot = {
    revision,
    database,
    loadedAt: Date.now(),
    courses,
    byId: new Map(courses.map((course) => [course._id.toString(), course])),
    categories: countCategories(courses),
  };
  // A load that started earlier but finished later must not replace a newer snapshot.
  if (sequence > currentSequence) {
    current = snapshot;
    currentSequence = sequence;
  }
  return snapshot;
}

const byChineseName = new Intl.Collator('zh-CN').compare;

/** Counts courses per category and subcategory, sorted by name in pinyin order. */
function countCategories(courses: readonly CourseListItem[]): CategoryCount[] {
  const categories = new Map<string, { count: number; children: Map<string, number> }>();
  for (const course of courses) {
    let category = categories.get(course.category);
    if (!category) {
      category = { count: 0, children: new Map() };
      categories.set(course.category, category);
    }
    category.count += 1;
    if (course.subcategory) {
      category.children.set(
        course.subcategory,
        (category.children.get(course.subcategory) ?? 0) + 1,
      );
    }
  }

  return [...categories.entries()]
    .map(([name, category]) => ({
      name,
      courseCount: category.count,
      children: [...category.children.entries()]
        .map(([childName, courseCount]) => ({ name: childName, courseCount }))
        .sort((a, b) => byChineseName(a.name, b.name)),
    }))
    .sort((a, b) => byChineseName(a.name, b.name));
}

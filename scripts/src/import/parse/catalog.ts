// Parser for the Chinese course catalog: one Markdown page per course under
// `courses/<category>[/<subcategory>…]/<page>.md`, with a `# 课号：课程名称` heading and a
// `## 课程简介` section of `- 字段：值` bullets followed by description paragraphs.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseStudyHours } from './study-hours.js';
import { hashParts } from './text.js';
import type { CourseRecord, ParseProblem, ParseResult } from './types.js';

export { parseStudyHours } from './study-hours.js';

type BulletField =
  | 'university'
  | 'prerequisites'
  | 'language'
  | 'difficulty'
  | 'hoursRaw'
  | 'website'
  | 'instructor';

// Bullet labels seen on the pages (and their common synonyms), mapped to record fields.
const FIELD_BY_LABEL: Record<string, BulletField> = {
  所属大学: 'university',
  开课大学: 'university',
  开课学校: 'university',
  先修要求: 'prerequisites',
  先修课程: 'prerequisites',
  前置要求: 'prerequisites',
  编程语言: 'language',
  课程难度: 'difficulty',
  难度: 'difficulty',
  预计学时: 'hoursRaw',
  课程时长: 'hoursRaw',
  预计时长: 'hoursRaw',
  学时: 'hoursRaw',
  课程网站: 'website',
  讲师: 'instructor',
  授课教师: 'instructor',
  授课老师: 'instructor',
  主讲: 'instructor',
};

interface Section {
  heading: string;
  /** 1-based line of the first line after the heading. */
  firstLine: number;
  lines: string[];
}

interface Bullet {
  label: string;
  value: string;
  line: number;
}

/**
 * Returns the course code for a page path relative to `courses/`: an ASCII slug of the file
 * name plus 8 hex digits of a SHA-256 of the NFC-normalised path, e.g. `15445-1b2c3d4e`. It
 * depends on the path only, so a re-import updates the same course; moving or renaming a
 * page gives it a new code.
 */
export function courseCodeFromPath(relativePath: string): string {
  const posixPath = relativePath.split(path.sep).join('/').normalize('NFC');
  const stem = path.posix.basename(posixPath).replace(/\.md$/i, '');
  const slug = stem
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${slug || 'course'}-${hashParts([posixPath]).slice(0, 8)}`;
}

function splitSections(lines: readonly string[]): { intro: Section; sections: Section[] } {
  const intro: Section = { heading: '', firstLine: 1, lines: [] };
  const sections: Section[] = [];
  let current = intro;
  lines.forEach((line, index) => {
    const heading = /^##\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading && !line.startsWith('###')) {
      current = { heading: heading[1] ?? '', firstLine: index + 2, lines: [] };
      sections.push(current);
      return;
    }
    current.lines.push(line);
  });
  return { intro, sections };
}

function parseBullets(section: Section): Bullet[] {
  const bullets: Bullet[] = [];
  section.lines.forEach((line, index) => {
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    if (!bullet) {
      return;
    }
    // Labels appear as `标签：值`, `**标签**：值`, `**标签：** 值` and `[标签](url)`.
    const content = (bullet[1] ?? '').replace(/\*\*|__/g, '').trim();
    const link = /^\[([^\]]+)\]\((\S+?)\)\s*$/.exec(content);
    if (link && FIELD_BY_LABEL[(link[1] ?? '').trim()] !== undefined) {
      bullets.push({
        label: (link[1] ?? '').trim(),
        value: link[2] ?? '',
        line: section.firstLine + index,
      });
      return;
    }
    const colon = /[:：]/.exec(content);
    if (!colon) {
      return;
    }
    bullets.push({
      label: content.slice(0, colon.index).trim(),
      value: content.slice(colon.index + 1).trim(),
      line: section.firstLine + index,
    });
  });
  return bullets;
}

/**
 * Returns the prose of a section: every line except list items (the 课程简介 fields), image
 * lines and HTML comments. Leading indentation is removed because four spaces would turn a
 * paragraph into a code block.
 */
function proseOf(lines: readonly string[]): string {
  const kept: string[] = [];
  const withoutComments = lines
    .join('\n')
    .replace(/<!--[\s\S]*?-->/g, '')
    .split('\n');
  for (const raw of withoutComments) {
    const line = raw.trim();
    const isNoise = /^[-*+]\s+/.test(line) || /^!\[[^\]]*\]\([^)]*\)$/.test(line);
    if (isNoise) {
      continue;
    }
    if (line === '' && (kept.length === 0 || kept[kept.length - 1] === '')) {
      continue;
    }
    kept.push(line);
  }
  while (kept.length > 0 && kept[kept.length - 1] === '') {
    kept.pop();
  }
  return kept.join('\n');
}

function firstUrl(value: string): string | undefined {
  const match = /https?:\/\/[^\s)>\]，,]+/.exec(value);
  return match?.[0];
}

function parseDifficulty(value: string): number | undefined {
  const stars = [...value].filter((char) => char === '🌟' || char === '⭐').length;
  if (stars > 0) {
    return stars;
  }
  const rating = /(\d+(?:\.\d+)?)\s*\/\s*\d+/.exec(value.normalize('NFKC'));
  return rating ? Number(rating[1]) : undefined;
}

/**
 * Parses one course page. `relativePath` is the page path under `courses/` (either path
 * separator); it gives the code, the category and the file named in problems. A page without
 * a `# ` heading gets its file name as title and a warning; an empty page gives no record.
 */
export function parseCoursePage(
  markdown: string,
  relativePath: string,
): { record?: CourseRecord; problems: ParseProblem[] } {
  const sourcePath = relativePath.split(path.sep).join('/');
  const problems: ParseProblem[] = [];
  const articleMarkdown = markdown.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (articleMarkdown.trim() === '') {
    problems.push({ file: sourcePath, reason: 'empty course page', severity: 'error' });
    return { problems };
  }

  const directories = sourcePath.split('/').slice(0, -1);
  const category = directories[0];
  if (category === undefined) {
    problems.push({
      file: sourcePath,
      reason: 'course page is not inside a category directory',
      severity: 'error',
    });
    return { problems };
  }
  const subcategory = directories.length > 1 ? directories.slice(1).join('/') : undefined;

  const lines = articleMarkdown.split('\n');
  const titleIndex = lines.findIndex((line) => /^#\s+\S/.test(line));
  let title: string;
  let bodyLines: string[];
  if (titleIndex === -1) {
    title = path.posix.basename(sourcePath).replace(/\.md$/i, '');
    bodyLines = lines;
    problems.push({
      file: sourcePath,
      line: 1,
      reason: `missing '# ' title heading; used the file name '${title}' as title`,
      severity: 'warning',
    });
  } else {
    title = (lines[titleIndex] ?? '')
      .replace(/^#\s+/, '')
      .replace(/\s+#*\s*$/, '')
      .trim();
    bodyLines = lines.slice(titleIndex + 1);
  }
  const lineOffset = titleIndex === -1 ? 0 : titleIndex + 1;

  const { intro, sections } = splitSections(bodyLines);
  for (const section of [intro, ...sections]) {
    section.firstLine += lineOffset;
  }
  const summary = sections.find((section) => section.heading.trim() === '课程简介');
  const resources = sections.find((section) => section.heading.trim() === '课程资源');

  const fields: Partial<Record<BulletField, { value: string; line: number }>> = {};
  for (const bullet of [
    ...(summary ? parseBullets(summary) : []),
    ...(resources ? parseBullets(resources) : []),
  ]) {
    const field = FIELD_BY_LABEL[bullet.label];
    if (field !== undefined && fields[field] === undefined && bullet.value !== '') {
      fields[field] = { value: bullet.value, line: bullet.line };
    }
  }

  let description = summary ? proseOf(summary.lines) : '';
  if (description === '') {
    description = proseOf(intro.lines);
  }
  if (description === '') {
    const firstProse = sections
      .map((section) => proseOf(section.lines))
      .find((text) => text !== '');
    description = firstProse ?? '';
  }

  // A course number has a digit ("CMU 15-445"); "Coursera: …" or "ETH: …" name a provider.
  const colon = /[:：]/.exec(title);
  const prefix = colon ? title.slice(0, colon.index).trim() : '';
  const courseNo = /\d/.test(prefix) ? prefix : undefined;

  const record: CourseRecord = {
    code: courseCodeFromPath(sourcePath),
    title,
    category,
    description,
    articleMarkdown,
    sourcePath,
  };
  if (courseNo) record.courseNo = courseNo;
  if (subcategory !== undefined) record.subcategory = subcategory;
  if (fields.university) record.university = fields.university.value;
  if (fields.instructor) record.instructor = fields.instructor.value;
  if (fields.prerequisites) record.prerequisites = fields.prerequisites.value;
  if (fields.language) record.language = fields.language.value;
  if (fields.difficulty) {
    const difficulty = parseDifficulty(fields.difficulty.value);
    if (difficulty !== undefined) {
      record.difficulty = difficulty;
    }
  }
  if (fields.website) {
    const url = firstUrl(fields.website.value);
    if (url !== undefined) {
      record.website = url;
    }
  }
  if (fields.hoursRaw) {
    record.hoursRaw = fields.hoursRaw.value;
    record.hours = parseStudyHours(fields.hoursRaw.value);
    if (record.hours === null && /\d/.test(fields.hoursRaw.value)) {
      problems.push({
        file: sourcePath,
        line: fields.hoursRaw.line,
        reason: `study hours '${fields.hoursRaw.value}' contain no hour figure; hours left empty`,
        severity: 'warning',
      });
    }
  }
  return { record, problems };
}

async function listMarkdownFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.toLowerCase().endsWith('.md'))
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * Parses every `.md` page below `coursesDirectory` (the catalog's `courses/` folder), in
 * path order. A file that cannot be read or decoded is a problem and gives no record.
 */
export async function parseCatalog(coursesDirectory: string): Promise<ParseResult<CourseRecord>> {
  const result: ParseResult<CourseRecord> = { records: [], problems: [], unsupported: {} };
  for (const relativePath of await listMarkdownFiles(coursesDirectory)) {
    const file = relativePath.split(path.sep).join('/');
    let markdown: string;
    try {
      const bytes = await readFile(path.join(coursesDirectory, relativePath));
      markdown = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (error) {
      result.problems.push({
        file,
        reason: `cannot read course page as UTF-8: ${(error as Error).message}`,
        severity: 'error',
      });
      continue;
    }
    const page = parseCoursePage(markdown, file);
    result.problems.push(...page.problems);
    if (page.record) {
      result.records.push(page.record);
    }
  }
  return result;
}

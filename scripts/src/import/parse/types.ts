// Records and problems returned by the import parsers. The parsers never touch the database:
// the import step maps these records onto models and reports the problems to the operator.

/**
 * One thing wrong in an input file. `line` is 1-based; for XML it is the line where the
 * offending `<question>` element starts. Severity 'error': part of the file (a record, or
 * the whole file for a file-level problem) could not be imported. Severity 'warning':
 * everything was imported, but the reason names a fallback value that was used or a
 * redundant item that was skipped (e.g. a question repeated in the same file). Absent means
 * 'error'.
 */
export interface ParseProblem {
  file: string;
  line?: number;
  reason: string;
  severity?: 'error' | 'warning';
}

/**
 * Output of one parser run. `unsupported` counts the items that the parser recognised but
 * does not import, by their type name in the source format (e.g. `Matching`, `gapfill`,
 * `填空题`). They are counted, never dropped silently.
 */
export interface ParseResult<T> {
  records: T[];
  problems: ParseProblem[];
  unsupported: Record<string, number>;
}

/** Study-hour range in hours; `min === max` when the page states one number. */
export interface HoursRange {
  min: number;
  max: number;
}

/** A course page of the Chinese course catalog, normalised. */
export interface CourseRecord {
  /** Stable key derived from the page path only (see `courseCodeFromPath` in catalog.ts). */
  code: string;
  /** The whole `# ` heading, e.g. `CMU 15-445: Database Systems`. */
  title: string;
  /** Text before the first `:`/`：` of the heading when it contains a digit, e.g. `CMU 15-445`. */
  courseNo?: string;
  /** Top directory under `courses/`. */
  category: string;
  /** Nested directory below the category, `/`-separated when deeper than one level. */
  subcategory?: string;
  university?: string;
  instructor?: string;
  prerequisites?: string;
  language?: string;
  /** Number of 🌟 in 课程难度, or N of an `N/5` rating. */
  difficulty?: number;
  /** 预计学时 exactly as written on the page. */
  hoursRaw?: string;
  /** Parsed `hoursRaw`; null when the text gives no number (e.g. 因人而异). */
  hours?: HoursRange | null;
  /** First URL of the 课程网站 bullet. */
  website?: string;
  /** Prose paragraphs of the 课程简介 section (or of the page's first section), Markdown. */
  description: string;
  /** The whole page, LF line endings, without a byte-order mark. */
  articleMarkdown: string;
  /** Page path relative to the catalog's `courses/` directory, `/`-separated. */
  sourcePath: string;
}

export type QuestionType = 'single' | 'multiple' | 'truefalse';

/**
 * Markup of a question's texts. Every text of one record (stem, options, feedback,
 * explanation) is in this format. `unifiedFormat` and `convertText` in text.ts say how mixed
 * inputs are converted. Renderers must sanitise 'html' before display.
 */
export type TextFormat = 'plain' | 'html' | 'markdown';

export interface QuestionOption {
  /** 'A', 'B', … for choice questions; 'T' and 'F' for truefalse. */
  key: string;
  text: string;
  /** Feedback shown when the learner picks this option. */
  feedback?: string;
  /** Credit in percent (-100..100) when the source gives partial credit for this option. */
  weight?: number;
}

export interface QuestionRecord {
  /**
   * Stable across runs: a hash of the bank plus the source's own question id when it has
   * one (GIFT `[id:…]`, Moodle `<idnumber>`), otherwise a hash of the bank plus the
   * question's type, stem, options and answer.
   */
  externalId: string;
  /** Question-bank name; the caller passes it, default the file name without extension. */
  bank: string;
  type: QuestionType;
  format: TextFormat;
  stem: string;
  options: QuestionOption[];
  /** Keys of the correct options, in option order. */
  answer: string[];
  /** General feedback / 解析. */
  explanation?: string;
  title?: string;
  /** Category path without Moodle's `$course$/` and `top/` prefixes, segments joined by `/`. */
  category?: string;
  tags?: string[];
  /** Points for the question when the source gives them (分值). */
  score?: number;
  /** Where the record came from: `file:line`, or `file#index` when no line is known. */
  source: string;
}

export interface EmployeeRecord {
  employeeNo: string;
  name: string;
  orgUnitCode: string;
  post: string;
  mobile?: string;
}

/**
 * Kind of an org unit: the head office, a provincial unit, a unit directly under the head
 * office (industrial and service companies), a city unit, a county unit, a production plant
 * or another company under a direct unit.
 */
export type OrgUnitKind =
  'headOffice' | 'province' | 'direct' | 'city' | 'county' | 'plant' | 'company';

export interface OrgUnitRecord {
  /** Digits; a unit's code starts with its parent's code, except under the head office. */
  code: string;
  name: string;
  parentCode: string | null;
  /** 0 for the head office, 1 for provincial and direct units, 2 and 3 below them. */
  level: number;
  kind: OrgUnitKind;
}

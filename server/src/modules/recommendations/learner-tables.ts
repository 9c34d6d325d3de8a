// Per-learner data read from the collections, packed into typed arrays keyed by the learner's
// ObjectId (12 bytes as three 32-bit words) and searched by binary search. Rows are collected in
// any order (the collections are read unsorted, see model-from-database.ts) and sorted once.
// At 600,000 learners with 3 courses each the tables take about 20 MB, where Maps of ObjectId
// strings to arrays would take several times that.
import { growableInt32, growableUint32, growableUint8 } from './growable-array.js';
import type { HistoryItem } from './model-builder.js';

const HEX_ID = /^[0-9a-f]{24}$/;

/** Splits a 24-character ObjectId hex string into three unsigned 32-bit words. */
function words(hex: string): [number, number, number] {
  if (!HEX_ID.test(hex)) throw new Error(`invalid learner id ${hex}: expected 24 hex digits`);
  return [
    Number.parseInt(hex.slice(0, 8), 16),
    Number.parseInt(hex.slice(8, 16), 16),
    Number.parseInt(hex.slice(16, 24), 16),
  ];
}

/** Learner keys of collected rows, in the order the rows were added. */
class KeyColumns {
  readonly high = growableUint32();
  readonly middle = growableUint32();
  readonly low = growableUint32();

  push(hex: string): void {
    const [high, middle, low] = words(hex);
    this.high.push(high);
    this.middle.push(middle);
    this.low.push(low);
  }

  get length(): number {
    return this.high.length;
  }

  /** Row indices ordered by key, rows of one key in the order they were added. */
  sortedRows(): Uint32Array {
    const high = this.high.view();
    const middle = this.middle.view();
    const low = this.low.view();
    return Uint32Array.from(high, (_, row) => row).sort(
      (a, b) => high[a]! - high[b]! || middle[a]! - middle[b]! || low[a]! - low[b]! || a - b,
    );
  }

  sameKey(a: number, b: number): boolean {
    return (
      this.high.at(a) === this.high.at(b) &&
      this.middle.at(a) === this.middle.at(b) &&
      this.low.at(a) === this.low.at(b)
    );
  }
}

/** Distinct learner keys in increasing order, with binary search. */
class SortedKeys {
  protected readonly keys = new KeyColumns();

  get size(): number {
    return this.keys.length;
  }

  /** Appends the key of `row` in `from`; keys must be appended in increasing order. */
  protected appendKey(from: KeyColumns, row: number): void {
    this.keys.high.push(from.high.at(row));
    this.keys.middle.push(from.middle.at(row));
    this.keys.low.push(from.low.at(row));
  }

  /** Row of a learner, or -1. */
  find(hex: string): number {
    if (!HEX_ID.test(hex)) return -1;
    const [high, middle, low] = words(hex);
    let from = 0;
    let to = this.size - 1;
    while (from <= to) {
      const row = (from + to) >> 1;
      const order =
        this.keys.high.at(row) - high ||
        this.keys.middle.at(row) - middle ||
        this.keys.low.at(row) - low;
      if (order === 0) return row;
      if (order < 0) from = row + 1;
      else to = row - 1;
    }
    return -1;
  }

  /** Returns the key of a row as a 24-character hex string. */
  hexAt(row: number): string {
    return [this.keys.high.at(row), this.keys.middle.at(row), this.keys.low.at(row)]
      .map((word) => word.toString(16).padStart(8, '0'))
      .join('');
  }
}

/** The (unit, post) group of every bound learner. */
export class BoundLearnerTable extends SortedKeys {
  private readonly groups = growableInt32();

  /** Group of a learner, or -1 when the learner is not bound. */
  groupOf(hex: string): number {
    const row = this.find(hex);
    return row < 0 ? -1 : this.groups.at(row);
  }

  /**
   * Sorts collected rows into a table. A learner added twice is an error, because the unique
   * index on bindings.learnerId allows one binding per learner.
   */
  static fromRows(keys: KeyColumns, groups: { at(row: number): number }): BoundLearnerTable {
    const table = new BoundLearnerTable();
    let previous = -1;
    for (const row of keys.sortedRows()) {
      if (previous >= 0 && keys.sameKey(previous, row)) {
        throw new Error(`learner ${table.hexAt(table.size - 1)} has two bindings`);
      }
      table.appendKey(keys, row);
      table.groups.push(groups.at(row));
      previous = row;
    }
    return table;
  }
}

/** Collects bindings in any order for a BoundLearnerTable. */
export class BoundLearnerRows {
  private readonly keys = new KeyColumns();
  private readonly groups = growableInt32();

  add(learnerHex: string, group: number): void {
    this.keys.push(learnerHex);
    this.groups.push(group);
  }

  toTable(): BoundLearnerTable {
    return BoundLearnerTable.fromRows(this.keys, this.groups);
  }
}

/** The history (distinct courses, completed or not) of every learner who has one. */
export class LearnerHistoryTable extends SortedKeys {
  private readonly offsets = growableUint32();
  private readonly courses = growableInt32();
  private readonly completed = growableUint8();
  /** Enrolment (or completion) time in seconds; 32 bits last until 2106. */
  private readonly times = growableUint32();

  constructor() {
    super();
    this.offsets.push(0);
  }

  /** Returns the learner's history, or an empty list. */
  historyOf(hex: string): HistoryItem[] {
    const row = this.find(hex);
    return row < 0 ? [] : this.itemsAt(row);
  }

  /** Calls `visit` with every learner's key and history, in key order. */
  forEach(visit: (learnerHex: string, items: HistoryItem[]) => void): void {
    for (let row = 0; row < this.size; row++) visit(this.hexAt(row), this.itemsAt(row));
  }

  /** Number of history items stored. */
  get items(): number {
    return this.courses.length;
  }

  private itemsAt(row: number): HistoryItem[] {
    const items: HistoryItem[] = [];
    for (let at = this.offsets.at(row); at < this.offsets.at(row + 1); at++) {
      items.push({
        course: this.courses.at(at),
        completed: this.completed.at(at) === 1,
        atMs: this.times.at(at) * 1000,
      });
    }
    return items;
  }

  /**
   * Sorts collected enrolment and completion rows into a table, one item per learner and course.
   * An item is completed when any of its rows is a completion. Its time is the earliest enrolment,
   * or the completion's time when the course has no enrolment.
   */
  static fromRows(rows: LearnerHistoryRows): LearnerHistoryTable {
    const table = new LearnerHistoryTable();
    const { keys } = rows;
    const order = keys.sortedRows();
    for (let start = 0; start < order.length;) {
      let end = start + 1;
      while (end < order.length && keys.sameKey(order[start]!, order[end]!)) end++;
      const byCourse = new Map<
        number,
        { completed: boolean; atSeconds: number; enrolled: boolean }
      >();
      for (let k = start; k < end; k++) {
        const row = order[k]!;
        const course = rows.courses.at(row);
        const isCompletion = rows.completions.at(row) === 1;
        const atSeconds = rows.times.at(row);
        const item = byCourse.get(course);
        if (!item) {
          byCourse.set(course, { completed: isCompletion, atSeconds, enrolled: !isCompletion });
        } else if (isCompletion) {
          item.completed = true;
        } else {
          item.atSeconds = item.enrolled ? Math.min(item.atSeconds, atSeconds) : atSeconds;
          item.enrolled = true;
        }
      }
      table.appendKey(keys, order[start]!);
      for (const [course, item] of byCourse) {
        table.courses.push(course);
        table.completed.push(item.completed ? 1 : 0);
        table.times.push(item.atSeconds);
      }
      table.offsets.push(table.courses.length);
      start = end;
    }
    return table;
  }
}

/** Collects enrolments and completions in any order for a LearnerHistoryTable. */
export class LearnerHistoryRows {
  readonly keys = new KeyColumns();
  readonly courses = growableInt32();
  /** 1 for a completion row, 0 for an enrolment row. */
  readonly completions = growableUint8();
  readonly times = growableUint32();

  add(learnerHex: string, course: number, isCompletion: boolean, at: Date): void {
    this.keys.push(learnerHex);
    this.courses.push(course);
    this.completions.push(isCompletion ? 1 : 0);
    this.times.push(Math.max(0, Math.floor(at.getTime() / 1000)));
  }

  get length(): number {
    return this.keys.length;
  }

  toTable(): LearnerHistoryTable {
    return LearnerHistoryTable.fromRows(this);
  }
}

/** One lesson progress record in model indices. */
export interface ProgressRow {
  course: number;
  /** Index into the course's lessons. */
  lesson: number;
  complete: boolean;
  computedAtMs: number;
}

/** Lesson progress records of every learner who has studied. */
export class LearnerProgressTable extends SortedKeys {
  private readonly offsets = growableUint32();
  private readonly courses = growableInt32();
  private readonly lessons = growableInt32();
  private readonly complete = growableUint8();
  private readonly times = growableUint32();

  constructor() {
    super();
    this.offsets.push(0);
  }

  progressOf(hex: string): ProgressRow[] {
    const row = this.find(hex);
    if (row < 0) return [];
    const records: ProgressRow[] = [];
    for (let at = this.offsets.at(row); at < this.offsets.at(row + 1); at++) {
      records.push({
        course: this.courses.at(at),
        lesson: this.lessons.at(at),
        complete: this.complete.at(at) === 1,
        computedAtMs: this.times.at(at) * 1000,
      });
    }
    return records;
  }

  static fromRows(rows: LearnerProgressRows): LearnerProgressTable {
    const table = new LearnerProgressTable();
    const { keys } = rows;
    const order = keys.sortedRows();
    for (let k = 0; k < order.length; k++) {
      const row = order[k]!;
      const sameAsPrevious = k > 0 && keys.sameKey(order[k - 1]!, row);
      if (!sameAsPrevious) {
        if (k > 0) table.offsets.push(table.courses.length);
        table.appendKey(keys, row);
      }
      table.courses.push(rows.courses.at(row));
      table.lessons.push(rows.lessons.at(row));
      table.complete.push(rows.complete.at(row));
      table.times.push(rows.times.at(row));
    }
    if (order.length > 0) table.offsets.push(table.courses.length);
    return table;
  }
}

/** Collects lesson progress records in any order for a LearnerProgressTable. */
export class LearnerProgressRows {
  readonly keys = new KeyColumns();
  readonly courses = growableInt32();
  readonly lessons = growableInt32();
  readonly complete = growableUint8();
  readonly times = growableUint32();

  add(learnerHex: string, row: ProgressRow): void {
    this.keys.push(learnerHex);
    this.courses.push(row.course);
    this.lessons.push(row.lesson);
    this.complete.push(row.complete ? 1 : 0);
    this.times.push(Math.max(0, Math.floor(row.computedAtMs / 1000)));
  }

  toTable(): LearnerProgressTable {
    return LearnerProgressTable.fromRows(this);
  }
}

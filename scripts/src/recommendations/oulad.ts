// Loads the Open University Learning Analytics Dataset (OULAD) subset as a LearningDataset.
//
// Mapping (OULAD has no org units, posts, course text or creation dates):
// - item: a module presentation (`BBB2014J`), because the subset's 6 modules are too few items;
// - enrolment time: presentation start (1 October for `J`, 1 February for `B`) plus
//   `date_registration` days;
// - completed: `final_result` Pass or Distinction;
// - unit: the student's `region`; post: the student's `imd_band` (deprivation band);
// - category: the module, so the category cap keeps at most 4 presentations of one module in 10.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  growableFloat64,
  growableInt32,
  growableUint8,
} from '@wxlearn/server/modules/recommendations/growable-array.js';
import type { LearningDataset } from './dataset.js';

interface RegistrationRow {
  code_module: string;
  code_presentation: string;
  id_student: string;
  date_registration: string;
}

interface StudentInfoRow {
  code_module: string;
  code_presentation: string;
  id_student: string;
  region: string;
  imd_band: string;
  final_result: string;
}

const DAY_MS = 86_400_000;

async function readCsv<T>(file: string): Promise<T[]> {
  return parse(await readFile(file, 'utf8'), { columns: true, skip_empty_lines: true }) as T[];
}

/** Start of a presentation: `2013J` starts in October 2013, `2014B` in February 2014. */
export function presentationStart(code: string): Date {
  const match = /^(\d{4})([BJ])$/.exec(code);
  if (!match) throw new Error(`invalid OULAD presentation code ${code}: expected YYYYB or YYYYJ`);
  return new Date(Date.UTC(Number(match[1]), match[2] === 'J' ? 9 : 1, 1));
}

export interface OuladSummary {
  registrations: number;
  /** Registrations without a date, which are left out. */
  undated: number;
  students: number;
  items: number;
  studentsWithTwoOrMore: number;
}

/** Reads `studentRegistration.csv` and `studentInfo.csv` from the OULAD folder. */
export async function loadOulad(
  folder: string,
): Promise<{ dataset: LearningDataset; summary: OuladSummary }> {
  const registrations = await readCsv<RegistrationRow>(
    path.join(folder, 'studentRegistration.csv'),
  );
  const info = await readCsv<StudentInfoRow>(path.join(folder, 'studentInfo.csv'));

  const key = (row: { code_module: string; code_presentation: string; id_student: string }) =>
    `${row.code_module}${row.code_presentation}:${row.id_student}`;
  const infoByKey = new Map(info.map((row) => [key(row), row]));

  const itemCodes = [
    ...new Set(registrations.map((row) => row.code_module + row.code_presentation)),
  ].sort();
  const itemIndex = new Map(itemCodes.map((code, index) => [code, index]));
  const regions: string[] = [];
  const regionIndex = new Map<string, number>();
  const posts: string[] = [];
  const postIndex = new Map<string, number>();
  const indexOf = (map: Map<string, number>, list: string[], value: string) => {
    let index = map.get(value);
    if (index === undefined) {
      index = list.length;
      list.push(value);
      map.set(value, index);
    }
    return index;
  };

  type Enrolment = { item: number; atMs: number; completed: boolean };
  const students = new Map<string, { unit: number; post: number; enrolments: Enrolment[] }>();
  let undated = 0;
  for (const row of registrations) {
    if (row.date_registration.trim() === '') {
      undated++;
      continue;
    }
    const details = infoByKey.get(key(row));
    const region = details?.region || 'unknown';
    const band = details?.imd_band || 'unknown';
    let student = students.get(row.id_student);
    if (!student) {
      student = {
        unit: indexOf(regionIndex, regions, region),
        post: indexOf(postIndex, posts, band),
        enrolments: [],
      };
      students.set(row.id_student, student);
    }
    student.enrolments.push({
      item: itemIndex.get(row.code_module + row.code_presentation)!,
      atMs:
        presentationStart(row.code_presentation).getTime() + Number(row.date_registration) * DAY_MS,
      completed: details?.final_result === 'Pass' || details?.final_result === 'Distinction',
    });
  }

  const offsets = [0];
  const course = growableInt32();
  const atMs = growableFloat64();
  const completed = growableUint8();
  const unit: number[] = [];
  const post: number[] = [];
  let latestMs = 0;
  let withTwo = 0;
  for (const student of students.values()) {
    student.enrolments.sort((a, b) => a.atMs - b.atMs || a.item - b.item);
    for (const enrolment of student.enrolments) {
      course.push(enrolment.item);
      atMs.push(enrolment.atMs);
      completed.push(enrolment.completed ? 1 : 0);
      latestMs = Math.max(latestMs, enrolment.atMs);
    }
    offsets.push(course.length);
    unit.push(student.unit);
    post.push(student.post);
    if (student.enrolments.length >= 2) withTwo++;
  }

  const dataset: LearningDataset = {
    name: 'OULAD subset',
    now: new Date(latestMs + DAY_MS),
    courses: itemCodes.map((code) => ({
      id: code,
      code,
      title: code,
      category: code.slice(0, 3),
      createdAt: new Date(0),
    })),
    units: regions.map((region): [string, null] => [region, null]),
    posts,
    learners: {
      count: students.size,
      unit: Int32Array.from(unit),
      post: Int32Array.from(post),
      offsets: Uint32Array.from(offsets),
      course: course.toArray(),
      atMs: atMs.toArray(),
      completed: completed.toArray(),
    },
  };
  return {
    dataset,
    summary: {
      registrations: registrations.length,
      undated,
      students: students.size,
      items: itemCodes.length,
      studentsWithTwoOrMore: withTwo,
    },
  };
}

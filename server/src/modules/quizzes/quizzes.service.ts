import type { QuizSummary } from '@wxlearn/api-types';
import { Types } from 'mongoose';
import { assertLessonAccess } from '../catalog/course-access.js';
import { CourseModel } from '../catalog/course.model.js';
import { trusted } from '../../db/trusted.js';
import { isDuplicateKeyError } from '../../db/errors.js';
import { notFound } from '../../errors.js';
import { AttemptModel, type Attempt, type AttemptQuestion } from './attempt.model.js';
import { loadAttemptBundle, submitExpiredAttempt } from './attempts.service.js';
import { pickRandom, shuffle } from './drawing.js';
import { presentQuizSummary, type AttemptBundle } from './quizzes.presenter.js';
import { attemptLimitReached, quizUnavailable } from './quizzes.errors.js';
import { quizQuestionFilter } from './question-filter.js';
import { QuestionModel } from './question.model.js';
import { QuizModel, type Quiz } from './quiz.model.js';

export async function listQuizzes(
  page: number,
  pageSize: number,
): Promise<{ items: Quiz[]; total: number }> {
  const [items, total] = await Promise.all([
    QuizModel.find()
      .sort({ code: 1 })
      .skip((page - 1) * pageSize)
      .limit(pageSize)
      .lean<Quiz[]>(),
    QuizModel.countDocuments(),
  ]);
  return { items, total };
}

export async function getQuiz(quizId: string): Promise<Quiz> {
  const quiz = await QuizModel.findById(quizId).lean<Quiz>();
  if (!quiz) throw notFound('Quiz', quizId);
  return quiz;
}

/** Lists the quizzes attached to a course, for the course page; an invalid id has none. */
export async function listCourseQuizzes(courseId: Types.ObjectId | string): Promise<QuizSummary[]> {
  if (typeof courseId === 'string' && !Types.ObjectId.isValid(courseId)) return [];
  const quizzes = await QuizModel.find({ courseId: new Types.ObjectId(courseId) })
    .sort({ code: 1 })
    .lean<Quiz[]>();
  return quizzes.map(presentQuizSummary);
}

/**
 * Draws the questions of a new attempt at random, each with its option order and points. The
 * paper is shorter than `questionCount` when questions were removed from the bank after
 * `ensureQuiz` checked it.
 */
async function drawQuestions(quiz: Quiz): Promise<AttemptQuestion[]> {
  const candidates = await QuestionModel.find(quizQuestionFilter(quiz), { _id: 1 }).lean();
  const chosenIds = pickRandom(
    candidates.map((candidate) => candidate._id),
    quiz.questionCount,
  );
  if (chosenIds.length === 0) throw quizUnavailable();

  const chosen = await QuestionModel.find(
    { _id: trusted({ $in: chosenIds }) },
    { type: 1, options: 1, score: 1 },
  ).lean();
  const byId = new Map(chosen.map((question) => [question._id.toString(), question]));

  return chosenIds.flatMap((id) => {
    const question = byId.get(id.toString());
    if (!question) return [];
    const keys = question.options.map((option) => option.key);
    const shuffled = quiz.shuffleOptions && question.type !== 'truefalse';
    return [
      {
        questionId: question._id,
        optionOrder: shuffled ? shuffle(keys) : keys,
        points: quiz.pointsPerQuestion ?? question.score ?? 1,
      },
    ];
  });
}

function isOpen(attempt: Attempt, now: Date): boolean {
  return attempt.state === 'in_progress' && (!attempt.deadline || attempt.deadline > now);
}

/**
 * Starts an attempt at a quiz, or returns the learner's attempt that is still open (in progress
 * and before its deadline), so a learner never has two open attempts at one quiz.
 *
 * Race safety rests on the unique `(learnerId, quizId, attemptNo)` index, not on a
 * read-then-write, because FerretDB does not make those atomic. Each start inserts the attempt
 * numbered one after the latest. Two concurrent starts read the same latest attempt and insert
 * the same number, so the database lets one in. The other gets a duplicate-key error, reads the
 * winner and returns it. An expired attempt that was never submitted is graded first, so that
 * every attempt counted against `maxAttempts` has a result.
 */
export async function startAttempt(
  learnerId: Types.ObjectId,
  quizId: string,
  now: Date,
): Promise<AttemptBundle> {
  const quiz = await getQuiz(quizId);
  // A quiz of a paid course is open only to learners who bought the course.
  if (quiz.courseId) {
    const course = await CourseModel.findById(quiz.courseId, { priceFen: 1 }).lean();
    if (course) await assertLessonAccess(course, learnerId);
  }

  // Three rounds: a lost insert race is followed by a read that finds the winner's attempt.
  for (let round = 0; round < 3; round++) {
    const latest = await AttemptModel.findOne({ learnerId, quizId: quiz._id })
      .sort({ attemptNo: -1 })
      .lean<Attempt>();
    if (latest && isOpen(latest, now)) return loadAttemptBundle(latest, quiz);
    if (latest?.state === 'in_progress') await submitExpiredAttempt(latest, quiz, now);

    const used = latest?.attemptNo ?? 0;
    const maxAttempts = quiz.maxAttempts ?? null;
    if (maxAttempts !== null && used >= maxAttempts) throw attemptLimitReached(maxAttempts);

    const questions = await drawQuestions(quiz);
    const timeLimitSeconds = quiz.timeLimitSeconds ?? null;
    const deadline =
      timeLimitSeconds === null ? null : new Date(now.getTime() + timeLimitSeconds * 1000);
    try {
      const created = await AttemptModel.create({
        learnerId,
        quizId: quiz._id,
        attemptNo: used + 1,
        questions,
        startedAt: now,
        deadline,
        state: 'in_progress',
      });
      return loadAttemptBundle(created.toObject<Attempt>(), quiz);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
  throw new Error(`could not start an attempt at quiz ${quizId}: attempt numbers kept colliding`);
}

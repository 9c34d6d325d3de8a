import type { Types } from 'mongoose';
import { trusted } from '../../db/trusted.js';
import { isDuplicateKeyError } from '../../db/errors.js';
import { notFound } from '../../errors.js';
import { AttemptAnswerModel } from './attempt-answer.model.js';
import { AttemptModel, type Attempt } from './attempt.model.js';
import { AttemptResultModel, type AttemptResultDoc } from './attempt-result.model.js';
import { gradeAttempt } from './grading.js';
import type { AttemptBundle, ResultBundle } from './quizzes.presenter.js';
import {
  attemptExpired,
  attemptNotSubmitted,
  attemptSubmitted,
  invalidChoice,
  questionNotInAttempt,
} from './quizzes.errors.js';
import { QuestionModel, type Question } from './question.model.js';
import { QuizModel, type Quiz } from './quiz.model.js';

/** Loads an attempt of this learner; another learner's attempt is reported as not found. */
async function findOwnAttempt(learnerId: Types.ObjectId, attemptId: string): Promise<Attempt> {
  const attempt = await AttemptModel.findOne({ _id: attemptId, learnerId }).lean<Attempt>();
  if (!attempt) throw notFound('Attempt', attemptId);
  return attempt;
}

async function loadQuiz(attempt: Attempt): Promise<Quiz> {
  const quiz = await QuizModel.findById(attempt.quizId).lean<Quiz>();
  if (!quiz) throw new Error(`quiz ${attempt.quizId.toString()} of an attempt is missing`);
  return quiz;
}

async function loadQuestions(attempt: Attempt): Promise<Map<string, Question>> {
  const ids = attempt.questions.map((drawn) => drawn.questionId);
  const questions = await QuestionModel.find({ _id: trusted({ $in: ids }) }).lean<Question[]>();
  return new Map(questions.map((question) => [question._id.toString(), question]));
}

/** Returns saved choices by question id; with `until`, only those saved up to that time. */
async function loadChoices(attemptId: Types.ObjectId, until: Date | null) {
  const answers = await AttemptAnswerModel.find({ attemptId }).lean();
  const kept = until ? answers.filter((answer) => answer.savedAt <= until) : answers;
  return new Map(kept.map((answer) => [answer.questionId.toString(), answer.choice]));
}

export async function loadAttemptBundle(attempt: Attempt, quiz: Quiz): Promise<AttemptBundle> {
  const [questions, answers] = await Promise.all([
    loadQuestions(attempt),
    loadChoices(attempt._id, null),
  ]);
  return { attempt, quiz, questions, answers };
}

export async function getAttempt(
  learnerId: Types.ObjectId,
  attemptId: string,
): Promise<AttemptBundle> {
  const attempt = await findOwnAttempt(learnerId, attemptId);
  return loadAttemptBundle(attempt, await loadQuiz(attempt));
}

/** Checks a choice against the question: known keys only, exactly one for single and true/false. */
function normaliseChoice(question: Question, choice: readonly string[]): string[] {
  const keys = question.options.map((option) => option.key);
  const unknown = choice.filter((key) => !keys.includes(key));
  if (unknown.length > 0) {
    throw invalidChoice(
      `Unknown option key ${unknown.join(', ')}: this question has ${keys.join(', ')}`,
    );
  }
  if (question.type !== 'multiple' && choice.length !== 1) {
    throw invalidChoice(`A ${question.type} question takes exactly one key, got ${choice.length}`);
  }
  return keys.filter((key) => choice.includes(key));
}

/**
 * Saves the learner's choice for one question of an open attempt. Each question's choice is its
 * own document, upserted under a unique `(attemptId, questionId)` index, so saves of different
 * questions never overwrite each other and the last save of one question wins.
 */
export async function saveAnswer(
  learnerId: Types.ObjectId,
  attemptId: string,
  questionId: string,
  choice: readonly string[],
  now: Date,
): Promise<void> {
  const attempt = await findOwnAttempt(learnerId, attemptId);
  if (attempt.state === 'submitted') throw attemptSubmitted();
  if (attempt.deadline && now > attempt.deadline) throw attemptExpired();

  const drawn = attempt.questions.find((item) => item.questionId.toString() === questionId);
  if (!drawn) throw questionNotInAttempt(questionId);
  const question = await QuestionModel.findById(drawn.questionId).lean<Question>();
  if (!question) throw new Error(`question ${questionId} of attempt ${attemptId} is missing`);

  const filter = { attemptId: attempt._id, questionId: drawn.questionId };
  const update = { $set: { choice: normaliseChoice(question, choice), savedAt: now } };
  try {
    await AttemptAnswerModel.updateOne(filter, update, { upsert: true });
  } catch (error) {
    // Two first saves of one question raced and the other inserted: update that document.
    if (!isDuplicateKeyError(error)) throw error;
    await AttemptAnswerModel.updateOne(filter, update);
  }
}

/** Marks the attempt submitted when its result exists; a crash between the two writes heals here. */
async function markSubmitted(attempt: Attempt, result: AttemptResultDoc): Promise<Attempt> {
  if (attempt.state === 'submitted') return attempt;
  await AttemptModel.updateOne(
    { _id: attempt._id },
    { $set: { state: 'submitted', submittedAt: result.submittedAt } },
  );
  return { ...attempt, state: 'submitted', submittedAt: result.submittedAt };
}

/**
 * Grades the attempt and stores the result, unless a result exists already. The result document
 * is inserted under a unique `attemptId` index before the attempt is marked submitted, so the
 * first insert decides the grade and every later or concurrent submit returns that same result.
 * Only choices saved up to the deadline count, even when the submit comes after it.
 */
async function gradeAndStore(
  attempt: Attempt,
  quiz: Quiz,
  now: Date,
): Promise<{ result: AttemptResultDoc; questions: Map<string, Question> }> {
  const questions = await loadQuestions(attempt);
  const existing = await AttemptResultModel.findOne({ attemptId: attempt._id }).lean();
  if (existing) return { result: existing, questions };

  const choices = await loadChoices(attempt._id, attempt.deadline ?? null);
  const grade = gradeAttempt(attempt.questions, questions, choices, quiz.passPercent);
  const result: AttemptResultDoc = {
    attemptId: attempt._id,
    learnerId: attempt.learnerId,
    quizId: attempt.quizId,
    submittedAt: now,
    ...grade,
  };
  try {
    await AttemptResultModel.create(result);
    return { result, questions };
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const winner = await AttemptResultModel.findOne({ attemptId: attempt._id }).orFail().lean();
    return { result: winner, questions };
  }
}

export async function submitAttempt(
  learnerId: Types.ObjectId,
  attemptId: string,
  now: Date,
): Promise<ResultBundle> {
  const attempt = await findOwnAttempt(learnerId, attemptId);
  const quiz = await loadQuiz(attempt);
  const { result, questions } = await gradeAndStore(attempt, quiz, now);
  return { attempt: await markSubmitted(attempt, result), quiz, questions, result };
}

/** Grades an attempt whose deadline passed without a submit, before the learner starts another. */
export async function submitExpiredAttempt(attempt: Attempt, quiz: Quiz, now: Date) {
  const { result } = await gradeAndStore(attempt, quiz, now);
  await markSubmitted(attempt, result);
}

export async function getAttemptResult(
  learnerId: Types.ObjectId,
  attemptId: string,
): Promise<ResultBundle> {
  const attempt = await findOwnAttempt(learnerId, attemptId);
  const result = await AttemptResultModel.findOne({ attemptId: attempt._id }).lean();
  if (!result) throw attemptNotSubmitted();

  const [quiz, questions] = await Promise.all([loadQuiz(attempt), loadQuestions(attempt)]);
  return { attempt: await markSubmitted(attempt, result), quiz, questions, result };
}

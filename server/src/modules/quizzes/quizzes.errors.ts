import { ApiError, conflict } from '../../errors.js';

export const attemptExpired = () =>
  conflict('attempt_expired', 'The attempt passed its deadline: submit it to see the result');

export const attemptSubmitted = () =>
  conflict('attempt_submitted', 'The attempt was already submitted: answers can no longer change');

export const attemptNotSubmitted = () =>
  conflict('attempt_not_submitted', 'The attempt has not been submitted yet: submit it first');

export const attemptLimitReached = (maxAttempts: number) =>
  conflict(
    'attempt_limit_reached',
    `All ${maxAttempts} attempts allowed for this quiz have been used`,
  );

export const quizUnavailable = () =>
  conflict('quiz_unavailable', 'The quiz has no questions in its bank yet: try again later');

export const questionNotInAttempt = (questionId: string) =>
  new ApiError(
    400,
    'question_not_in_attempt',
    `Question ${questionId} is not part of this attempt: use a question id from the attempt`,
  );

export const invalidChoice = (message: string) =>
  new ApiError(400, 'validation_failed', message, [{ path: 'choice', message }]);

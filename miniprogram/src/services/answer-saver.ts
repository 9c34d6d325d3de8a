export type SaveState = 'saving' | 'saved' | 'failed';

/** Sends one answer to the server. */
export type SaveAnswer = (questionId: string, choice: string[]) => Promise<unknown>;

export interface AnswerSaver {
  /** Queues the learner's latest choice for a question. */
  save(questionId: string, choice: string[]): void;
  /** Sends the last failed choice of a question again. */
  retry(questionId: string): void;
  /** Waits until no save is running, and returns the ids of questions whose last save failed. */
  flush(): Promise<string[]>;
}

/**
 * Saves answers as they are chosen. Each question has at most one request in flight, so the
 * server receives one question's choices in the order they were made, and choices made while a
 * request runs collapse into the latest one.
 */
export function createAnswerSaver(
  send: SaveAnswer,
  onState: (questionId: string, state: SaveState, error?: unknown) => void,
): AnswerSaver {
  const queued = new Map<string, string[]>();
  const running = new Map<string, Promise<void>>();
  const failed = new Map<string, string[]>();

  async function drain(questionId: string): Promise<void> {
    try {
      let choice = queued.get(questionId);
      while (choice) {
        queued.delete(questionId);
        onState(questionId, 'saving');
        try {
          await send(questionId, choice);
          failed.delete(questionId);
          if (!queued.has(questionId)) onState(questionId, 'saved');
        } catch (error) {
          failed.set(questionId, choice);
          if (!queued.has(questionId)) onState(questionId, 'failed', error);
        }
        choice = queued.get(questionId);
      }
    } finally {
      running.delete(questionId);
    }
  }

  function save(questionId: string, choice: string[]): void {
    queued.set(questionId, [...choice]);
    if (running.has(questionId)) return;
    // Starting on a later tick keeps `running` set before drain() can reach its finally block.
    running.set(
      questionId,
      Promise.resolve().then(() => drain(questionId)),
    );
  }

  function retry(questionId: string): void {
    const choice = failed.get(questionId);
    if (choice) save(questionId, choice);
  }

  async function flush(): Promise<string[]> {
    while (running.size > 0) {
      await Promise.all(running.values());
    }
    return [...failed.keys()];
  }

  return { save, retry, flush };
}

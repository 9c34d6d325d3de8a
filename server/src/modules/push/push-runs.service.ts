// The operators' view of weekly push runs: each run's report and how many learners opened the link.
import { PushOpenModel } from './learner-push.model.js';
import { PUSH_JOB, PushRunModel, type PushRun } from './push-run.model.js';

export interface PushRunWithOpens {
  run: PushRun;
  opens: number;
}

/** Returns the newest `limit` runs, newest week first, each with its count of opened links. */
export async function listPushRuns(limit: number): Promise<PushRunWithOpens[]> {
  const runs = await PushRunModel.find({ job: PUSH_JOB })
    .sort({ week: -1 })
    .limit(limit)
    .lean<PushRun[]>();
  // One equality count per run uses the week index, while `$in` over weeks would not
  // use an index on FerretDB v1.
  return Promise.all(
    runs.map(async (run) => ({
      run,
      opens: await PushOpenModel.countDocuments({ week: run.week }),
    })),
  );
}

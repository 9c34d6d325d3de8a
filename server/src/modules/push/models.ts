// Registers every push model, so ensureIndexes() at start-up creates their unique indexes even
// in a process that does not start the push job.
import './delivery.model.js';
import './learner-push.model.js';
import './push-batch.model.js';
import './push-run.model.js';
import './subscription-grant.model.js';

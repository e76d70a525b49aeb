// The gateway's tables (policies, activations, latency samples, rollouts), created by every gateway at its
// start rather than by a module's migrations: it may run with a database of its own. A Souk database the
// gateway shares carries them too, so `souk db move` creates them on the target with the same call.
import type { Database } from '../kernel/db/types.ts';
import { ensureSchema } from './store.ts';
import { SAMPLES_SCHEMA } from './samples.ts';
import { ROLLOUTS_SCHEMA } from './rollouts.ts';

export const ensureGatewaySchema = (db: Database): Promise<void> => ensureSchema(db, [SAMPLES_SCHEMA, ROLLOUTS_SCHEMA]);

// Every problem the events module answers, named once. Flash sales answer invalid_time about their own
// window through the code-bound constructor exported here.
import { problemMaker } from '../../kernel/http/problem.ts';

export const eventsProblemCodes = [
  'event_not_found',
  'consumer_not_found',
  'dead_letter_not_found',
  'dead_letter_resolved',
  'invalid_offset',
  'invalid_time',
  'offset_beyond_head',
] as const;

const problem = problemMaker(eventsProblemCodes);

export const eventNotFound = () => problem(404, 'event_not_found', 'No retained event has this id (it may be past retention).');
export const consumerNotFound = (consumer: string) =>
  problem(404, 'consumer_not_found', `No consumer "${consumer}" is subscribed; see GET /admin/events/consumers.`);
export const deadLetterNotFound = (id: string) => problem(404, 'dead_letter_not_found', `There is no dead letter ${id}.`);
export const deadLetterResolvedAs = (status: string) => problem(409, 'dead_letter_resolved', `This dead letter was already ${status}.`);
export const deadLetterResolved = () => problem(409, 'dead_letter_resolved', 'This dead letter was already requeued or discarded.');
export const invalidOffset = () => problem(400, 'invalid_offset', `offset must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}.`);
/** 400 invalid_time: a time that does not parse, in the words of the module asking. */
export const invalidTimeProblem = (detail: string) => problem(400, 'invalid_time', detail);
export const invalidSince = () => invalidTimeProblem('since must be an ISO 8601 time.');
export const offsetBeyondHead = (offset: number, head: number) =>
  problem(
    422,
    'offset_beyond_head',
    `The log's newest event is at offset ${head}; replay from an offset up to ${head + 1} (the next event), or from a time.`,
    { offset, head },
  );

// Every problem the live module answers over HTTP, named once. Socket errors are frames, not problems
// (see frames.ts).
import { problemMaker } from '../../kernel/http/problem.ts';

export const liveProblemCodes = ['live_room_not_found', 'live_room_state', 'live_message_not_found'] as const;

const problem = problemMaker(liveProblemCodes);

export const roomNotFound = (id: string) => problem(404, 'live_room_not_found', `There is no live room ${id} on this platform.`);
export const roomNotInState = (id: string, state: string, wanted: string) =>
  problem(409, 'live_room_state', `Live room ${id} is ${state}; this needs it to be ${wanted}.`, { state });
export const messageNotFound = (id: string) =>
  problem(404, 'live_message_not_found', `There is no message ${id} in this room (or it was already deleted).`);

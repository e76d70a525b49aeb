// The live module's events: a room going live and ending, for webhooks and later for replay and stats.
export const EVENT_ROOM_STARTED = 'live.room_started';
export const EVENT_ROOM_ENDED = 'live.room_ended';

export interface RoomStartedPayload {
  roomId: string;
  title: string;
  startedAt: string;
  actor: string;
}

export interface RoomEndedPayload {
  roomId: string;
  endedAt: string;
  /** Likes counted by the time the room ended (this node's unflushed taps may add a few more). */
  likes: number;
  actor: string;
}

export interface LiveEvents {
  [EVENT_ROOM_STARTED]: RoomStartedPayload;
  [EVENT_ROOM_ENDED]: RoomEndedPayload;
}

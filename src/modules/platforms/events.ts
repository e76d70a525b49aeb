// The platforms module's events: their names and payloads, in one place (see orders/events.ts).

export const EVENT_PLATFORM_CREATED = 'platform.created';

export interface PlatformCreatedPayload {
  platformId: string;
  slug: string;
  name: string;
  modules: string[];
}

export interface PlatformsEvents {
  [EVENT_PLATFORM_CREATED]: PlatformCreatedPayload;
}

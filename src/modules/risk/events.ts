// The risk module's events: their names and payloads, in one place.

export const EVENT_POLICY_CHANGED = 'risk.policy_changed';

export interface RiskPolicyChangedPayload {
  point: string;
  version: number;
  changedBy: string;
  /** Set when the change restored an earlier version. */
  rolledBackTo: number | null;
}

export interface RiskEvents {
  [EVENT_POLICY_CHANGED]: RiskPolicyChangedPayload;
}

// Risk metrics: decisions by point and action, rules fired by point and rule, and decision latency.
// No platform label: a platform's traffic is its own business, and the label would multiply series by
// the number of platforms.
// The counters are TallyCounters (kernel/tally-counter.ts) and the latency a TallyHistogram
// (kernel/tally-histogram.ts): counted as plain numbers per decision and read out at each scrape.
import type { Registry } from 'prom-client';
import { TallyCounter } from '../../kernel/tally-counter.ts';
import { TallyHistogram } from '../../kernel/tally-histogram.ts';

export interface RiskMetrics {
  decisions: TallyCounter<'point' | 'action'>;
  rulesFired: TallyCounter<'point' | 'rule'>;
  decisionSeconds: TallyHistogram<'point'>;
  shadowDecisions: TallyCounter<'point' | 'action' | 'agrees'>;
}

export function createRiskMetrics(registry: Registry): RiskMetrics {
  const registers = [registry];
  return {
    decisions: new TallyCounter({ name: 'souk_risk_decisions_total', help: 'Risk decisions by decision point and action', labelNames: ['point', 'action'], registers }),
    rulesFired: new TallyCounter({ name: 'souk_risk_rules_fired_total', help: 'Policy rules that fired, by decision point and rule id', labelNames: ['point', 'rule'], registers }),
    decisionSeconds: new TallyHistogram({
      name: 'souk_risk_decision_seconds',
      help: 'Time to decide (signals, counters, lists, rules), without storing',
      labelNames: ['point'] as const,
      buckets: [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.01],
      registers,
    }),
    shadowDecisions: new TallyCounter({
      name: 'souk_risk_shadow_decisions_total',
      help: 'What shadow policies would have decided, by point, action and whether the live policy decided the same',
      labelNames: ['point', 'action', 'agrees'],
      registers,
    }),
  };
}

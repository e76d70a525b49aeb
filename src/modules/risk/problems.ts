// Every problem the risk module answers, named once.
import { problemMaker } from '../../kernel/http/problem.ts';
import type { PolicyFault } from './policy.ts';

export const riskProblemCodes = ['risk_policy_invalid', 'risk_policy_version_not_found', 'risk_list_invalid', 'risk_decision_not_found', 'risk_shadow_not_found', 'risk_backtest_range_invalid'] as const;

const problem = problemMaker(riskProblemCodes);

export const policyInvalid = (fault: PolicyFault) =>
  problem(400, 'risk_policy_invalid', `The policy is refused: ${fault.path} ${fault.message}. Nothing was changed.`, { path: fault.path });
export const policyVersionNotFound = (point: string, version: number) =>
  problem(404, 'risk_policy_version_not_found', `The ${point} policy has no version ${version}.`);
export const listInvalid = (fault: PolicyFault) =>
  problem(400, 'risk_list_invalid', `The list is refused: ${fault.path} ${fault.message}. Nothing was changed.`, { path: fault.path });
export const decisionNotFound = (id: string) => problem(404, 'risk_decision_not_found', `This platform has no stored risk decision ${id}.`);
export const shadowNotFound = (point: string) => problem(404, 'risk_shadow_not_found', `The ${point} decision point has no shadow policy.`);
export const backtestRangeInvalid = (why: string) => problem(400, 'risk_backtest_range_invalid', `The backtest range is refused: ${why}.`);

// The contract between the runner (bench/run.ts) and a scenario (bench/scenarios/*.ts).
import type { CleanupStack } from './cleanup.ts';
import type { MachineInfo } from './machine.ts';
import type { Engine } from './servers.ts';
import type { Table } from './table.ts';

/** Options every scenario gets, from the command line. */
export interface CommonOptions {
  durationSeconds: number;
  connections: number;
  rounds: number;
  warmupSeconds: number;
  /** Seconds to wait for other processes to leave the CPU before each measured run. */
  quietWaitSeconds: number;
  engines: Engine[];
  /** Admin connection used to create and drop the scratch PostgreSQL database. */
  pgAdminUrl: string;
  /** Extra environment for the Souk server (from --souk-env KEY=VALUE,…), e.g. a different cache TTL. */
  soukEnv: Record<string, string>;
}

/** A scenario-specific command-line flag (string-valued; the scenario parses it). */
export interface ScenarioFlag {
  description: string;
  default: string;
  /** A switch given without a value (--attack): the scenario reads "true" or "false". */
  switch?: boolean;
}

export interface ScenarioContext {
  options: CommonOptions;
  /** Values of the scenario's own flags, defaults filled in. */
  flags: Record<string, string>;
  cleanup: CleanupStack;
  machine: MachineInfo;
  log(line: string): void;
}

export interface ScenarioReport {
  tables: Table[];
  /** Warnings and remarks that belong next to the figures (skipped engines, non-2xx answers, …). */
  notes: string[];
  /** Everything worth keeping, written to bench/results/<scenario>-<timestamp>.json. */
  data: Record<string, unknown>;
}

export interface Scenario {
  name: string;
  description: string;
  flags?: Record<string, ScenarioFlag>;
  run(context: ScenarioContext): Promise<ScenarioReport>;
}

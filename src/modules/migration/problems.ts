// Every problem the migration module answers, named once.
import { problemMaker } from '../../kernel/http/problem.ts';

export const migrationProblemCodes = [
  'import_not_csv',
  'import_wrong_columns',
  'import_malformed_csv',
  'import_not_jsonl',
  'import_empty_file',
  'import_file_too_large',
  'migration_module_disabled',
  'import_job_not_found',
  'export_kind_needed',
  'database_move_not_embedded',
  'database_move_running',
  'database_move_target_refused',
  'database_move_not_found',
] as const;

const problem = problemMaker(migrationProblemCodes);

export const notCsv = (why: string) =>
  problem(422, 'import_not_csv', `This is not a CSV text file (${why}). Export the data as CSV in UTF-8 and upload that file.`);

export const wrongColumns = (format: string, missing: readonly string[], expected: readonly string[]) =>
  problem(
    422,
    'import_wrong_columns',
    `The file's first row lacks the column${missing.length === 1 ? '' : 's'} ${missing.map((c) => `"${c}"`).join(', ')} that a ${format} file has. Expected columns: ${expected.join(', ')}.`,
    { missing, expected },
  );

export const malformedCsv = (line: number, why: string) =>
  problem(422, 'import_malformed_csv', `The CSV cannot be read past line ${line} (${why}), so the import stopped there. Fix the quoting and import the file again: rows already imported are matched, not duplicated.`, { line });

export const notJsonl = (why: string) =>
  problem(422, 'import_not_jsonl', `This is not a Souk JSON lines file (${why}): each line must be one JSON object with a "kind" (category, product, customer, order, coupon or settings).`);

export const emptyFile = () => problem(422, 'import_empty_file', 'The file is empty: there is no header row or record to import.');

export const fileTooLarge = (limitBytes: number) =>
  problem(413, 'import_file_too_large', `The upload is larger than ${Math.round(limitBytes / 1024 / 1024)} MiB; split it into several files (each import is idempotent).`, { limitBytes });

export const moduleOff = (module: string, what: string) =>
  problem(409, 'migration_module_disabled', `${what} needs the ${module} module, which this platform has off; switch it on first.`, { module });

export const jobNotFound = (jobId: string) => problem(404, 'import_job_not_found', `This platform has no import job ${jobId}.`);

export const exportKindNeeded = (known: readonly string[]) =>
  problem(400, 'export_kind_needed', `A CSV export holds one kind of record: add kind=${known.join('|')} (JSON lines hold every kind in one file).`, { known });

export const moveNotEmbedded = (detail: string) => problem(409, 'database_move_not_embedded', detail);

export const moveRunning = (target: string) =>
  problem(409, 'database_move_running', `A move to ${target} is already running in this server; follow it with GET /admin/db/move, or stop it with DELETE /admin/db/move.`, { target });

export const moveTargetRefused = (why: string) => problem(422, 'database_move_target_refused', why);

export const moveNotFound = () => problem(404, 'database_move_not_found', 'This server has run no database move since it started.');

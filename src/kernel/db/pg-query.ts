// One statement as pg's Client runs it, built more cheaply than `client.query(config)` does on the purchase
// path, where every request runs several statements. pg's own Query (kept as the base class, so the wire
// protocol is untouched) costs per statement:
// - a copy of the config object through property descriptors (avoided: the text is passed as a string and
//   the name set afterwards);
// - per result, a lookup of every column's type parser and a null-prototype template object that each row
//   is spread from, which leaves rows as slow dictionary objects (avoided for prepared statements: the
//   parsers of a statement's columns are looked up once per process, and its rows come from an object
//   literal compiled once, so all rows of a statement share one hidden class).
// Rows, results, errors and their stack traces are the same as with pg's own path.
import pg from 'pg';

type Parser = (value: string) => unknown;
/** pg's conversion of a parameter to its wire form, as its own Query binds with. */
const prepareValue = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils.prepareValue;
type Callback = (error: Error | undefined, result: pg.QueryResult) => void;

interface Field {
  name: string;
  dataTypeID: number;
  format: string;
}

/** The parts of pg's Connection, Query and Result this class relies on that @types/pg does not declare. */
export interface WireConnection extends pg.Connection {
  parsedStatements: Record<string, string | undefined>;
}
export interface QueryInternals {
  name?: string;
  portal: string;
  values?: unknown[];
  binary?: boolean;
  hasBeenParsed(connection: WireConnection): boolean;
  prepare(connection: WireConnection): void;
  handleError(error: Error, connection: WireConnection): void;
  callback?: Callback;
  _result: { fields: Field[]; _parsers: Parser[]; rows: unknown[]; addFields(fields: Field[]): void };
  _accumulateRows: boolean;
  _canceledDueToError: unknown;
  _checkForMultirow(): void;
  handleRowDescription(message: { fields: Field[] }): void;
  handleDataRow(message: { fields: (string | null)[] }): void;
}
const QueryBase = pg.Query as unknown as new (text: string, values?: unknown[]) => pg.Query & QueryInternals;

/** The columns of one prepared statement's result, as last described by the server. */
interface Shape {
  /** As the server described them (pg's QueryResult.fields). */
  fields: Field[];
  parsers: Parser[];
  /** Builds one row from its column values: an object literal compiled for these columns. */
  build: (values: (string | null)[], parsers: Parser[]) => Record<string, unknown>;
}

/**
 * The row builder of a column list: `{ "id": v[0] === null ? null : p[0](v[0]), … }`. A literal gives every
 * row the same hidden class at once; names are written as JSON string literals, so a column's name cannot
 * be read as code. A repeated name keeps its first position and its last value, as pg's rows do.
 */
function rowBuilder(names: string[]): Shape['build'] {
  const props = names.map((name, i) => `${JSON.stringify(name)}: v[${i}] === null ? null : p[${i}](v[${i}])`);
  // The source holds only JSON string literals and indexes.
  return new Function('v', 'p', `return { ${props.join(', ')} };`) as Shape['build'];
}
// Keyed by statement name: postgres.ts gives each name to one text only, and caps how many it names.
const shapes = new Map<string, Shape>();

function sameColumns(shape: Shape, fields: Field[]): boolean {
  if (shape.fields.length !== fields.length) return false;
  for (let i = 0; i < fields.length; i++) {
    const a = shape.fields[i]!;
    const b = fields[i]!;
    if (a.name !== b.name || a.dataTypeID !== b.dataTypeID || a.format !== b.format) return false;
  }
  return true;
}

/** The statement's shape, or undefined when its rows must go through pg's own parsing. */
function shapeOf(name: string, fields: Field[]): Shape | undefined {
  const known = shapes.get(name);
  // After a migration the same statement may describe other columns (a `select *`): described anew.
  if (known && sameColumns(known, fields)) return known;
  // Binary columns are copied by pg first; a column named __proto__ would set the row's prototype here.
  if (fields.some((f) => f.format !== 'text' || f.name === '__proto__')) return undefined;
  const shape: Shape = {
    fields,
    parsers: fields.map((f) => pg.types.getTypeParser(f.dataTypeID, 'text') as Parser),
    build: rowBuilder(fields.map((f) => f.name)),
  };
  shapes.set(name, shape);
  return shape;
}

export class SoukQuery extends QueryBase {
  /** The current result's columns when its rows are built here. */
  private shape: Shape | undefined;

  constructor(text: string, values: unknown[], name: string | undefined, callback: Callback) {
    super(text, values);
    if (name !== undefined) this.name = name;
    this.callback = callback;
  }

  /**
   * pg sends Parse (first use on the connection), Bind, Describe, Execute and Sync. Once the server has
   * described a prepared statement's columns, later executions of it leave out the Describe: the server
   * then sends no RowDescription, and the rows are read with the columns known. A statement whose columns
   * changed since (a migration under a `select *`) fails with "cached plan must not change result type",
   * and postgres.ts stops preparing its text.
   */
  override prepare(connection: WireConnection) {
    const shape = this.name === undefined ? undefined : shapes.get(this.name);
    if (shape === undefined || !this.hasBeenParsed(connection)) return super.prepare(connection);
    try {
      connection.bind({ portal: this.portal, statement: this.name, values: this.values, binary: this.binary, valueMapper: prepareValue } as pg.BindConfig, false);
    } catch (error) {
      // As pg does: the statement is closed and the query fails.
      connection.close({ type: 'S', name: this.name }, false);
      connection.sync();
      this.handleError(error as Error, connection);
      return;
    }
    this.useShape(shape, shape.fields);
    connection.execute({ portal: this.portal }, false);
    connection.sync();
  }

  private useShape(shape: Shape, fields: Field[]) {
    this.shape = shape;
    this._checkForMultirow();
    this._result.fields = fields;
    this._result._parsers = shape.parsers;
    this._accumulateRows = Boolean(this.callback) || this.listenerCount('row') === 0;
  }

  override handleRowDescription(message: { fields: Field[] }) {
    this.shape = this.name ? shapeOf(this.name, message.fields) : undefined;
    if (this.shape === undefined) return super.handleRowDescription(message);
    this.useShape(this.shape, message.fields);
  }

  override handleDataRow(message: { fields: (string | null)[] }) {
    const shape = this.shape;
    if (shape === undefined) return super.handleDataRow(message);
    if (this._canceledDueToError) return;
    let row: Record<string, unknown>;
    try {
      row = shape.build(message.fields, shape.parsers);
    } catch (error) {
      this._canceledDueToError = error;
      return;
    }
    this.emit('row', row, this._result);
    if (this._accumulateRows) this._result.rows.push(row);
  }
}

/**
 * Runs a statement with parameters (named: prepared on the connection) on a client. As pg's promise path
 * does, a failure's stack is taken again where the caller awaits it rather than in the socket's handler.
 */
export function runStatement(client: pg.ClientBase, text: string, values: unknown[], name?: string): Promise<pg.QueryResult> {
  return sendQuery(client, (callback) => new SoukQuery(text, values, name, callback));
}

/** Submits a query built around the callback and resolves with its result. */
export function sendQuery(client: pg.ClientBase, build: (callback: Callback) => pg.Query): Promise<pg.QueryResult> {
  return new Promise<pg.QueryResult>((resolve, reject) => {
    client.query(build((error, result) => (error ? reject(error) : resolve(result))));
  }).catch((error: Error) => {
    Error.captureStackTrace(error);
    throw error;
  });
}

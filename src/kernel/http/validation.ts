// Request validation with two Ajv instances. A JSON body already carries its types, so it is checked as
// sent: "3", true or [1] for a number is the client's mistake and a 400, never silently turned into 3 or
// 1 (a refund of {"amount":"50"} must not move money). Query strings, path parameters and headers are
// text by nature; only those are parsed into the declared types (coerceTypes), one parameter at a time.
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type SchemaControllerOptions = NonNullable<FastifyServerOptions['schemaController']>;

const SHARED = { removeAdditional: false, useDefaults: true, allErrors: false } as const;

type BuildValidator = NonNullable<NonNullable<SchemaControllerOptions['compilersFactory']>['buildValidator']>;

const buildFromPool = AjvCompiler();

/** Fastify's schemaController option: bodies strict, text parts parsed. */
export const strictBodySchemaController: SchemaControllerOptions = {
  compilersFactory: {
    buildValidator: ((externalSchemas: unknown, ajvOptions: { customOptions?: object; plugins?: unknown[] } = {}) => {
      const options = (coerceTypes: false | 'array') => ({ ...ajvOptions, customOptions: { ...ajvOptions.customOptions, ...SHARED, coerceTypes } });
      const strict = buildFromPool(externalSchemas as never, options(false) as never);
      const parsing = buildFromPool(externalSchemas as never, options('array') as never);
      return (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict : parsing)(route as never);
    }) as unknown as BuildValidator,
  },
};

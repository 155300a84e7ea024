import { z } from 'zod';
import packageJson from '../../package.json';
import { API_ROUTES, NAMED_SCHEMAS, SECURITY_SCHEMES, type Answer, type ApiRoute } from './routes';

/**
 * The OpenAPI 3.1 document, generated from the route table and its zod schemas with zod's own
 * JSON Schema conversion (draft 2020-12, OpenAPI 3.1's dialect). Answer objects come out with
 * `additionalProperties: false`: an answer field the schemas do not name is a drift.
 */

type JsonSchema = Record<string, unknown>;
type JsonObject = Record<string, unknown>;

const COMPONENT_REF = '#/components/schemas/';

/** The name of each named schema, to point at it with a $ref. */
const nameOf = new Map<z.ZodType, string>(Object.entries(NAMED_SCHEMAS).map(([name, s]) => [s, name]));

/** Every named schema, each as a JSON Schema whose references to the others are $refs. */
function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) registry.add(schema, { id: name });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    uri: (id) => `${COMPONENT_REF}${id}`,
  });
  const components: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    // a component is not a document of its own: no $schema, no $id
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
    components[name] = rest;
  }
  return components;
}

function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const name = nameOf.get(schema);
  if (name !== undefined) return { $ref: `${COMPONENT_REF}${name}` };
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
  }) as JsonSchema;
  return rest;
}

function bodySchemaOf(body: Answer['body']): JsonSchema {
  return Array.isArray(body)
    ? { anyOf: (body as readonly z.ZodType[]).map((s) => schemaOf(s)) }
    : schemaOf(body as z.ZodType);
}

function parametersOf(route: ApiRoute): JsonObject[] {
  const from = (where: 'path' | 'query', params: z.ZodObject | undefined) =>
    Object.entries(params?.shape ?? {}).map(([name, schema]) => {
      const json = schemaOf(schema as z.ZodType, 'input');
      const { description, ...rest } = json;
      return {
        name,
        in: where,
        required: where === 'path' || !(schema as z.ZodType).safeParse(undefined).success,
        ...(description === undefined ? {} : { description }),
        schema: rest,
      };
    });
  return [...from('path', route.pathParams), ...from('query', route.query)];
}

function responseOf(answer: Answer): JsonObject {
  const headers = Object.entries(answer.headers ?? {}).map(([name, h]) => [
    name,
    {
      description: h.description,
      required: h.required,
      ...(h.json
        ? { content: { 'application/json': { schema: schemaOf(h.json) } } }
        : { schema: schemaOf(h.schema ?? z.string()) }),
    },
  ]);
  return {
    description: answer.description,
    ...(headers.length > 0 ? { headers: Object.fromEntries(headers) } : {}),
    content: {
      [answer.mediaType ?? 'application/json']: { schema: bodySchemaOf(answer.body) },
      ...Object.fromEntries(
        Object.entries(answer.otherContent ?? {}).map(([type, body]) => [
          type,
          { schema: bodySchemaOf(body) },
        ]),
      ),
    },
  };
}

function operationOf(route: ApiRoute): JsonObject {
  const parameters = parametersOf(route);
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.security
      ? {
          security: [
            // the read rule is waived by READ_ACCESS=open: no credentials is one of the alternatives
            ...(route.security.includes('readToken') ? [{}] : []),
            ...route.security.map((scheme) => ({ [scheme]: [] })),
          ],
        }
      : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.requestBody
      ? {
          requestBody: {
            description: route.requestBody.description,
            required: true,
            content: { 'application/json': { schema: schemaOf(route.requestBody.schema, 'input') } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(route.answers).map(([status, a]) => [status, responseOf(a)]),
    ),
  };
}

/** Builds the document (pure; the app builds it once). */
export function openApiDocument(): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of API_ROUTES) {
    paths[route.path] = { ...paths[route.path], [route.method]: operationOf(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pacproxy',
      version: packageJson.version,
      description:
        'A statistics proxy for the Paccurate packing API: forwards pack requests and keeps exact per-keystem statistics. Units: latencies in nanoseconds, timestamps ISO 8601 (UTC), Prometheus durations in seconds. Errors made by the proxy are `{"Message": …}`.',
    },
    tags: [
      { name: 'pack', description: 'forwarding pack requests to Paccurate' },
      { name: 'statistics', description: 'the recorded statistics, per keystem and across keystems' },
      { name: 'operations', description: 'health, readiness and metrics' },
      { name: 'documentation', description: 'this document and its reference page' },
    ],
    paths,
    components: { schemas: componentSchemas(), securitySchemes: SECURITY_SCHEMES },
  };
}

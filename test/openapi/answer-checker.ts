import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Holds live HTTP answers to an OpenAPI 3.1 document with a JSON Schema validator (ajv, draft
 * 2020-12): the status must be listed for the operation, the content type must be one it lists,
 * the body must match its schema, and each documented header must be there when required and
 * match its schema (a JSON header is parsed first). Problems come back as sentences.
 */

/** An answer as a client saw it. Header names in lower case. */
export interface LiveAnswer {
  status: number;
  headers: Readonly<Record<string, string | undefined>>;
  text: string;
}

interface MediaType {
  schema?: unknown;
}
interface HeaderObject {
  required?: boolean;
  schema?: unknown;
  content?: Record<string, MediaType>;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
  headers?: Record<string, HeaderObject>;
}
interface Operation {
  responses: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

const DOC_ID = 'openapi.json';
/** a JSON pointer token (RFC 6901), URI-encoded for a $ref */
const token = (s: string) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'));

export class AnswerChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  /** `METHOD path status-key` of every documented status an answer has matched */
  readonly seen = new Set<string>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OpenApiDocument) {
    addFormats(this.ajv);
    this.ajv.addSchema(doc as object, DOC_ID);
  }

  /** Every `METHOD path status-key` the document lists. */
  documented(): string[] {
    return Object.entries(this.doc.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([method, op]) =>
        Object.keys(op.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`),
      ),
    );
  }

  /** What is wrong with `answer` as the answer of `method path` (a path template); [] when nothing. */
  check(method: string, path: string, answer: LiveAnswer): string[] {
    const where = `${method.toUpperCase()} ${path}`;
    const op = this.doc.paths[path]?.[method.toLowerCase()];
    if (!op) return [`${where} is not in the document`];
    const listed = Object.keys(op.responses);
    const status = String(answer.status);
    const range = `${status[0]}XX`;
    const key = status in op.responses ? status : range in op.responses ? range : undefined;
    if (key === undefined) {
      return [
        `${where} answered ${status}, which the document does not list (it lists ${listed.join(', ')})`,
      ];
    }
    this.seen.add(`${where} ${key}`);
    const pointer = `${DOC_ID}#/paths/${token(path)}/${method.toLowerCase()}/responses/${key}`;
    const response = op.responses[key] as ResponseObject;
    return [
      ...this.checkBody(`${where} ${status}`, pointer, response, answer),
      ...this.checkHeaders(`${where} ${status}`, pointer, response, answer),
    ];
  }

  private checkBody(where: string, pointer: string, response: ResponseObject, answer: LiveAnswer): string[] {
    const contentType = answer.headers['content-type'] ?? '';
    const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    const listed = Object.keys(response.content ?? {});
    if (!listed.includes(mediaType)) {
      return [
        `${where}: content type "${contentType}" is not documented (the document lists ${listed.join(', ') || 'none'})`,
      ];
    }
    const schemaRef = `${pointer}/content/${token(mediaType)}/schema`;
    if (mediaType !== 'application/json') return this.validate(`${where} body`, schemaRef, answer.text);
    return this.validateJson(`${where} body`, schemaRef, answer.text);
  }

  private checkHeaders(
    where: string,
    pointer: string,
    response: ResponseObject,
    answer: LiveAnswer,
  ): string[] {
    return Object.entries(response.headers ?? {}).flatMap(([name, header]) => {
      const value = answer.headers[name.toLowerCase()];
      const what = `${where} header ${name}`;
      if (value === undefined) return header.required ? [`${what} is required but absent`] : [];
      const headerRef = `${pointer}/headers/${token(name)}`;
      if (header.content?.['application/json']) {
        return this.validateJson(what, `${headerRef}/content/${token('application/json')}/schema`, value);
      }
      return this.validate(what, `${headerRef}/schema`, value);
    });
  }

  private validateJson(what: string, schemaRef: string, text: string): string[] {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return [`${what} is not JSON: ${text.slice(0, 200)}`];
    }
    return this.validate(what, schemaRef, value);
  }

  private validate(what: string, schemaRef: string, value: unknown): string[] {
    let validate = this.compiled.get(schemaRef);
    if (!validate) {
      validate = this.ajv.compile({ $ref: schemaRef });
      this.compiled.set(schemaRef, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${what}: ${describe(e)}`);
  }
}

/** An ajv error as a sentence naming the field. */
function describe(error: ErrorObject): string {
  const at = error.instancePath || '(the whole value)';
  const extra = (error.params as { additionalProperty?: string }).additionalProperty;
  if (extra !== undefined) return `${at} has "${extra}", which the document does not describe`;
  return `${at} ${error.message ?? 'is invalid'} (${JSON.stringify(error.params)})`;
}

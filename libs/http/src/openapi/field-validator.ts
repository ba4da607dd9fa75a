import type { PatchType, ResourceInfo } from '@app/api-machinery';
import { fieldValidationOf, unknownFieldOutcome, unknownFieldsInJsonPatch } from './field-validation';
import type { OpenApiDocuments } from './openapi-document';
import { unknownFields } from './unknown-fields';

/**
 * Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`) against the published
 * OpenAPI schemas: unknown fields in a create/update body or a patch are a 400 (Strict) or
 * `Warning` headers (Warn, the default). Kinds without a published schema are not checked.
 */
export class FieldValidator {
  constructor(private readonly docs: OpenApiDocuments) {}

  /** Warning header values for the request; throws 400 BadRequest in Strict mode. */
  check(info: ResourceInfo, mode: string | string[] | undefined, body: unknown, patchType?: PatchType): string[] {
    const validation = fieldValidationOf(mode);
    if (validation === 'Ignore') return [];
    const schema = this.docs.schemaOf(info);
    if (!schema) return [];
    const schemas = this.docs.schemas;
    let unknown: string[];
    switch (patchType) {
      case undefined:
        unknown = unknownFields(body, schema, schemas);
        break;
      case 'merge':
      case 'strategic':
        unknown = unknownFields(body, schema, schemas, { directives: true });
        break;
      case 'json':
        unknown = unknownFieldsInJsonPatch(body, schema, schemas);
        break;
      case 'apply':
        unknown = [];
        break;
    }
    return unknownFieldOutcome(validation, unknown);
  }
}

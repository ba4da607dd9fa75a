import { eventSchemas } from './event-schemas';
import { imageSchemas } from './image-schemas';
import { metaSchemas } from './meta-schemas';
import { quotaSchemas } from './quota-schemas';
import type { Schema } from './schema';
import { secretSchemas } from './secret-schemas';
import { triggerActionSchemas } from './trigger-action-schemas';
import { triggerSchemas } from './trigger-schemas';

const definitions: Record<string, Schema> = {
  ...metaSchemas,
  ...imageSchemas,
  ...eventSchemas,
  ...quotaSchemas,
  ...secretSchemas,
  ...triggerSchemas,
  ...triggerActionSchemas,
};

/** Every `path: description` of a property that references a definition with the very same description. */
function echoedDescriptions(): string[] {
  const found: string[] = [];
  for (const [name, schema] of Object.entries(definitions)) {
    for (const [field, property] of Object.entries(schema.properties ?? {})) {
      const target = property.ref ?? property.items?.ref;
      const own = property.description;
      if (target && own && definitions[target]?.description === own) found.push(`${name}.${field}: ${own}`);
    }
  }
  return found;
}

describe('OpenAPI field descriptions', () => {
  // kubectl explain prints a field's description and then its type's: the same sentence twice
  // reads as a bug (`kubectl explain dlv.spec` did).
  it('differ from the description of the type they reference', () => {
    expect(Object.keys(definitions).length).toBeGreaterThan(50);
    expect(echoedDescriptions()).toEqual([]);
  });
});

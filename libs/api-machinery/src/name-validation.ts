import { FieldError, fieldErr } from './field-errors';

/** Path-segment safety every object name needs (apimachinery path.IsValidPathSegmentName). */
export function validatePathSegmentName(name: string, field = 'metadata.name', prefix = false): FieldError[] {
  // A prefix (generateName) may be '.' or '..': something follows it (apimachinery IsValidPathSegmentPrefix).
  if (!prefix && (name === '.' || name === '..')) return [fieldErr.invalid(field, name, `may not be '${name}'`)];
  const errors: FieldError[] = [];
  for (const bad of ['/', '%']) {
    if (name.includes(bad)) errors.push(fieldErr.invalid(field, name, `may not contain '${bad}'`));
  }
  return errors;
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Namespaces are DNS-1123 labels (apimachinery IsDNS1123Label: each problem is its own error). */
export function validateNamespaceName(ns: string, field = 'metadata.namespace'): FieldError[] {
  return validateDns1123Label(ns, field);
}

/** A DNS-1123 label (namespaces, container names): each problem is its own error, as apimachinery's IsDNS1123Label. */
export function validateDns1123Label(ns: string, field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (ns.length > 63) errors.push(fieldErr.invalid(field, ns, 'must be no more than 63 characters'));
  if (!dns1123Label.test(ns)) {
    errors.push(
      dns1123Subdomain.test(ns)
        ? fieldErr.invalid(field, ns, 'must not contain dots')
        : fieldErr.invalid(
            field,
            ns,
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
          ),
    );
  }
  return errors;
}

export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && dns1123Subdomain.test(value);
}

/** Object names of most Kubernetes kinds (apimachinery NameIsDNSSubdomain), with its wording. */
export function validateDns1123SubdomainName(name: string | undefined, field = 'metadata.name'): FieldError[] {
  if (name === undefined || name === '') return [];
  const errors: FieldError[] = [];
  if (name.length > 253) errors.push(fieldErr.invalid(field, name, 'must be no more than 253 characters'));
  if (!dns1123Subdomain.test(name)) {
    errors.push(
      fieldErr.invalid(
        field,
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    );
  }
  return errors;
}

const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** apimachinery's RegexError: the rule, examples and the regex, worded as kube-apiserver words them. */
export function regexError(rule: string, regex: string, ...examples: string[]): string {
  return `${rule} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${regex}')`;
}

const qualifiedNameRule = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const qualifiedNameRegex = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedNameError = regexError(qualifiedNameRule, qualifiedNameRegex, 'MyName', 'my.name', '123-abc');
const subdomainError = regexError(
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*',
  'example.com',
);
const labelValueError = regexError(
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  `(${qualifiedNameRegex})?`,
  'MyValue',
  'my_value',
  '12345',
);

/** The problems apimachinery's IsQualifiedName finds in `value` (each its own message; prefix first). */
function qualifiedNameProblems(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2) return [`a qualified name ${qualifiedNameError} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  const problems: string[] = [];
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') problems.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) problems.push('prefix part must be no more than 253 characters');
      if (!dns1123Subdomain.test(prefix)) problems.push(`prefix part ${subdomainError}`);
    }
  }
  if (name === '') problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  if (!qualifiedNamePart.test(name)) problems.push(`name part ${qualifiedNameError}`);
  return problems;
}

/** A qualified name (label keys, finalizers): one Invalid error per problem, naming `key`. */
export function validateQualifiedName(key: string, field: string): FieldError[] {
  return qualifiedNameProblems(key).map((problem) => fieldErr.invalid(field, key, problem));
}

export function validateLabels(labels: unknown, field = 'metadata.labels'): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) return [fieldErr.invalid(field, labels, 'must be a map of strings')];
  const errors: FieldError[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    errors.push(...validateQualifiedName(k, field));
    if (typeof v !== 'string') errors.push(fieldErr.invalid(field, v, labelValueError));
    else {
      if (v.length > 63) errors.push(fieldErr.invalid(field, v, 'must be no more than 63 characters'));
      if (!labelValue.test(v)) errors.push(fieldErr.invalid(field, v, labelValueError));
    }
  }
  return errors;
}

export function validateAnnotations(annotations: unknown, field = 'metadata.annotations'): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    return [fieldErr.invalid(field, annotations, 'must be a map of strings')];
  }
  const errors: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
    // Case does not matter in annotation keys: checked in lower case, reported as written (as upstream).
    errors.push(...qualifiedNameProblems(k.toLowerCase()).map((problem) => fieldErr.invalid(field, k, problem)));
    if (typeof v !== 'string') errors.push(fieldErr.invalid(`${field}[${k}]`, v, 'must be a string'));
    else total += k.length + v.length;
  }
  if (total > 256 * 1024) errors.push(fieldErr.tooLong(field, 256 * 1024));
  return errors;
}

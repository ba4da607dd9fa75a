import { FieldError, fieldErr, fieldErrorBody, fieldErrorString, VerbatimValue } from './field-errors';
import type { Status, StatusCause, StatusDetails } from './status.types';

/** Identifies a resource for error messages: `<resource>.<group> "<name>"`. */
export interface ResourceRef {
  group: string;
  resource: string;
  kind?: string;
}

function qualified(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

/**
 * StatusDetails as Go marshals it: name, group and kind are `omitempty`, so a core kind's details
 * carry no `group` (`{"name":"p","kind":"Pod"}`) and a nameless object's no `name`.
 */
function withoutEmptyStrings(details: StatusDetails): StatusDetails {
  const { name, group, kind, ...rest } = details;
  return { ...(name ? { name } : {}), ...(group ? { group } : {}), ...(kind ? { kind } : {}), ...rest };
}

/**
 * A failure the API reports as a Kubernetes Status. Domain code throws these; one HTTP filter
 * renders them, so no transport concern leaks into strategies or services.
 */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    readonly continueToken?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The Status, its fields in metav1.Status's order (details before code), as kube-apiserver writes it. */
  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: this.continueToken ? { continue: this.continueToken } : {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: withoutEmptyStrings(this.details) } : {}),
      code: this.code,
    };
  }

  static notFound(ref: ResourceRef, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualified(ref)} "${name}" not found`, {
      name,
      group: ref.group,
      kind: ref.resource,
    });
  }

  static routeNotFound(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  }

  static alreadyExists(ref: ResourceRef, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(ref)} "${name}" already exists`, {
      name,
      group: ref.group,
      kind: ref.resource,
    });
  }

  /** A name made from generateName was taken, every attempt (apimachinery's NewGenerateNameConflict). */
  static generateNameConflict(ref: ResourceRef, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(ref)} "${name}" already exists, the server was not able to generate a unique name for the object`, {
      name,
      group: ref.group,
      kind: ref.resource,
      retryAfterSeconds: 1,
    });
  }

  /**
   * An update without metadata.resourceVersion (kube-apiserver's registry store): its Invalid error
   * names the resource where a kind would be (`imagestreams.image.openshift.io "x" is invalid`),
   * and the value is the parsed version, 0, printed as Go prints a uint64 with %#v.
   */
  static resourceVersionRequired(ref: ResourceRef, name: string): ApiError {
    return ApiError.invalid({ group: ref.group, resource: ref.resource, kind: ref.resource }, name, [
      fieldErr.invalid('metadata.resourceVersion', new VerbatimValue('0x0'), 'must be specified for an update'),
    ]);
  }

  static conflict(ref: ResourceRef, name: string, why: string): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(ref)} "${name}": ${why}`, {
      name,
      group: ref.group,
      kind: ref.resource,
    });
  }

  static staleResourceVersion(ref: ResourceRef, name: string): ApiError {
    return ApiError.conflict(
      ref,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }

  static invalid(ref: ResourceRef & { kind: string }, name: string, errors: FieldError[]): ApiError {
    const group = ref.group ? `.${ref.group}` : '';
    const summary =
      errors.length === 1 ? fieldErrorString(errors[0]!) : `[${errors.map(fieldErrorString).join(', ')}]`;
    return new ApiError(422, 'Invalid', `${ref.kind}${group} "${name}" is invalid: ${summary}`, {
      name,
      group: ref.group,
      kind: ref.kind,
      causes: errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
    });
  }

  static badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  }

  static methodNotAllowed(): ApiError {
    return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
  }

  /** A verb the resource does not offer at an existing path (`?watch=1` on a list without watch). */
  static methodNotSupported(ref: ResourceRef, action: string): ApiError {
    return new ApiError(405, 'MethodNotAllowed', `${action} is not supported on resources of kind ${JSON.stringify(qualified(ref))}`, {
      group: ref.group,
      kind: ref.resource,
    });
  }

  static gone(message: string, continueToken?: string): ApiError {
    return new ApiError(410, 'Expired', message, undefined, continueToken);
  }

  /** A body over the limit: kube-apiserver's NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", limit)). */
  static tooLarge(limitBytes?: number): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: ${limitBytes === undefined ? 'the request body is over the limit' : `limit is ${limitBytes}`}`);
  }

  /**
   * A create, update or delete body of a type the serializer does not decode (kube's
   * negotiation.NewUnsupportedMediaTypeError): its media types, the patch types not among them, and
   * no details. Protobuf is listed as kube lists it; this server decodes it for some kinds only
   * (kube-protobuf.ts refuses the others with its own 415).
   */
  static unsupportedMediaType(): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  }

  /**
   * A PATCH whose Content-Type is no patch type (application/json, or none): kube-apiserver's router
   * (go-restful, the route's Consumes) refuses it before the handler runs, with its own
   * `415: Unsupported Media Type`, which serviceErrorHandler passes through NewGenericServerResponse
   * (the message kept, empty details).
   */
  static unsupportedPatchMediaType(): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', '415: Unsupported Media Type', {});
  }

  static unauthorized(message = 'Unauthorized'): ApiError {
    return new ApiError(401, 'Unauthorized', message);
  }

  /** 429 as kube-apiserver's NewTooManyRequests: the wait is also in details.retryAfterSeconds (client-go honours Retry-After). */
  static tooManyRequests(message: string, retryAfterSeconds: number): ApiError {
    return new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds });
  }

  static forbidden(message: string): ApiError {
    return new ApiError(403, 'Forbidden', message);
  }

  /** `<resource>.<group> "<name>" is forbidden: <why>` (admission refusals), with optional causes. */
  static forbiddenOn(ref: ResourceRef, name: string, why: string, causes?: StatusCause[]): ApiError {
    const subject = name ? `${qualified(ref)} "${name}"` : qualified(ref);
    const details: StatusDetails = { name, group: ref.group, kind: ref.resource };
    if (causes) details.causes = causes;
    return new ApiError(403, 'Forbidden', `${subject} is forbidden: ${why}`, details);
  }

  static unavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message, { retryAfterSeconds: 1 });
  }

  /** 504 as kube-apiserver's NewTimeoutError when a request outlives its deadline; the wait is a hint to retry (client-go reads Retry-After). */
  static timeout(message: string, retryAfterSeconds = 1): ApiError {
    return new ApiError(504, 'Timeout', message, { retryAfterSeconds });
  }

  /** kube-apiserver's answer to a read or watch asking for a resourceVersion it has not reached (after its brief wait). */
  static resourceVersionTooLarge(requested: string, current: string): ApiError {
    return new ApiError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    });
  }

  static serverTimeout(ref: ResourceRef, verb: string): ApiError {
    return new ApiError(
      500,
      'ServerTimeout',
      `The ${verb} operation against ${qualified(ref)} could not be completed at this time, please try again.`,
      { group: ref.group, kind: ref.resource, retryAfterSeconds: 2 },
    );
  }

  static internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ reason: 'UnexpectedServerResponse', message }],
    });
  }
}

/** Status returned by successful deletes and by ImageStreamMapping creates. */
export function successStatus(details?: StatusDetails, code?: number): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  if (details) s.details = details;
  if (code !== undefined) s.code = code;
  return s;
}

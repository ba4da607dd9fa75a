import type { FastifyRequest } from 'fastify';

/** Kubernetes verb and resource of a request, for metrics and logs. */
export interface RequestLabels {
  verb: string;
  resource: string;
}

const labels = new WeakMap<object, RequestLabels>();

export function setRequestLabels(req: FastifyRequest, value: RequestLabels): void {
  labels.set(req.raw, value);
}

export function requestLabelsOf(req: FastifyRequest): RequestLabels | undefined {
  return labels.get(req.raw);
}

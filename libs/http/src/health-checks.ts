/**
 * Which checks each endpoint runs: liveness is the process itself; readiness needs Postgres and
 * Redis, and fails from the shutdown signal on (`shutdown`, as kube-apiserver's readyz), so a load
 * balancer probing it takes the replica out.
 */
export const ENDPOINT_CHECKS = {
  livez: ['ping'],
  healthz: ['ping', 'postgres', 'redis'],
  readyz: ['ping', 'postgres', 'redis', 'shutdown'],
} as const;
export type Endpoint = keyof typeof ENDPOINT_CHECKS;
export type CheckName = (typeof ENDPOINT_CHECKS)[Endpoint][number];

/** Every health path served: each endpoint and each of its checks (`/readyz/shutdown`, …). */
export function healthPaths(): string[] {
  return Object.entries(ENDPOINT_CHECKS).flatMap(([endpoint, checks]) => [`/${endpoint}`, ...checks.map((c) => `/${endpoint}/${c}`)]);
}

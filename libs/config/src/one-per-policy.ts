import type { AccessPolicy } from './access-policy';

/**
 * `make` memoised per access policy object: every caller in the process gets the same instance for
 * one policy (state that must be shared by the API and the registry token endpoint, such as
 * failed-login counts), and a policy that is dropped takes its instance with it.
 */
export function onePerPolicy<T extends object>(make: (policy: AccessPolicy) => T): (policy: AccessPolicy) => T {
  const instances = new WeakMap<AccessPolicy, T>();
  return (policy) => {
    let instance = instances.get(policy);
    if (!instance) {
      instance = make(policy);
      instances.set(policy, instance);
    }
    return instance;
  };
}

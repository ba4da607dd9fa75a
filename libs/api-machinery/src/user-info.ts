/**
 * Who a request acts as (authentication.k8s.io/v1 UserInfo, as SelfSubjectReview returns it): the
 * user, its groups, and the uid and extra fields only impersonation sets here.
 */
export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

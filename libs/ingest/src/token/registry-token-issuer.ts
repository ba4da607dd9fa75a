import { randomUUID } from 'node:crypto';
import {
  type AccessPolicy,
  ANONYMOUS_SUBJECT,
  type PasswordAuthenticator,
  passwordAuthenticatorOf,
  type RegistryTokenConfig,
  REPOSITORY_ACTIONS,
  repositoryActionsOf,
  subjectsOfUser,
  UNAUTHENTICATED_SUBJECT,
} from '@app/config';
import { ApiAuthenticator, parseBasicCredentials } from '@app/http';
import { repositoryTarget } from '../repository-target';
import type { TokenAccess } from './token-scope';
import { TokenSigner } from './token-signer';

/**
 * Whether a push may create the image stream of a repository that has none yet. OpenShift's
 * registry creates the stream on the first push with the pusher's own credentials and denies the
 * push when that is forbidden (no `create imagestreams`) or over quota. Here the stream is created
 * from the registry's notification, after the push: the token is where such a push is refused,
 * rather than accepted into a repository the API would never show.
 */
export interface StreamCreationCheck {
  /** The pusher may create streams in the namespace (API_AUTHORIZATION=Policy decides; else yes). */
  mayCreate(subjects: readonly string[], namespace: string): boolean;
  streamExists(namespace: string, name: string): Promise<boolean>;
  /** One more stream fits the namespace's ResourceQuotas. */
  quotaAdmits(namespace: string, name: string): Promise<boolean>;
}

/** Credentials that were sent but are not a known user's (401, as the token spec asks). */
export class TokenAuthenticationError extends Error {}

/** distribution's token response: `token` and its OAuth2 alias `access_token`, seconds of validity, issue time. */
export interface TokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

/** A signed token's answer and its `access` claim (each requested scope with the actions granted). */
export interface IssuedToken {
  response: TokenResponse;
  access: TokenAccess[];
}

/**
 * Issues bearer tokens for a CNCF distribution registry (`auth.token`): Basic credentials from the
 * policy's users, a password or one of the user's API tokens (none = anonymous), each requested scope granted the intersection of its actions
 * with what the policy and OpenShift's default role bindings grant the subject (a refused action is left out, never an error: the
 * registry then answers `insufficient_scope`), signed for the registry's rootcertbundle.
 */
export class RegistryTokenIssuer {
  private readonly signer: TokenSigner;
  private readonly passwords: PasswordAuthenticator;
  private readonly apiTokens: ApiAuthenticator;

  constructor(
    private readonly config: RegistryTokenConfig,
    private readonly policy: AccessPolicy,
    private readonly now: () => number = Date.now,
    private readonly streamCreation?: StreamCreationCheck,
  ) {
    this.signer = new TokenSigner(config.keyPem);
    this.passwords = passwordAuthenticatorOf(policy);
    this.apiTokens = new ApiAuthenticator(policy);
  }

  get service(): string {
    return this.config.service;
  }

  /** The subject of a request: '' without credentials; rejects with TokenAuthenticationError for unknown ones. */
  async authenticate(authorization: string | undefined, client = ''): Promise<string> {
    if (authorization === undefined || authorization.trim() === '') return '';
    const basic = parseBasicCredentials(authorization);
    if (basic === null) throw new TokenAuthenticationError('only Basic credentials are accepted');
    if (basic === 'malformed') throw new TokenAuthenticationError('malformed Basic credentials');
    // OpenShift's registry is logged in to with an API token as the password (`docker login -u
    // <anything> -p $(oc whoami -t)`): the token names the user, whatever name comes with it.
    const user = this.apiTokens.userOfToken(basic.password) ?? (await this.passwords.authenticate(basic.name, basic.password, client));
    if (user === null) throw new TokenAuthenticationError('invalid username or password');
    return user;
  }

  async issue(subject: string, requested: TokenAccess[]): Promise<IssuedToken> {
    const subjects = subject === '' ? [ANONYMOUS_SUBJECT, UNAUTHENTICATED_SUBJECT] : subjectsOfUser(subject);
    const access = await Promise.all(requested.map(async (scope) => ({ ...scope, actions: await this.withoutStreamlessPush(subjects, scope, this.granted(subjects, scope)) })));
    const issuedAt = Math.floor(this.now() / 1000);
    const token = this.signer.sign({
      iss: this.config.issuer,
      sub: subject,
      aud: this.config.service,
      exp: issuedAt + this.config.ttlSeconds,
      // A second of slack for a registry whose clock is slightly behind (it allows 60 s more itself).
      nbf: issuedAt - 1,
      iat: issuedAt,
      jti: randomUUID(),
      access,
    });
    const response = { token, access_token: token, expires_in: this.config.ttlSeconds, issued_at: new Date(issuedAt * 1000).toISOString() };
    return { response, access };
  }

  /** `actions` without push (`*` spelled out) on a repository with no stream that the push may not create (StreamCreationCheck). */
  private async withoutStreamlessPush(subjects: string[], scope: TokenAccess, actions: string[]): Promise<string[]> {
    if (!this.streamCreation || scope.type !== 'repository' || !actions.some((a) => a === 'push' || a === '*')) return actions;
    const target = repositoryTarget(scope.name);
    if ('ignored' in target || (await this.streamCreation.streamExists(target.namespace, target.name))) return actions;
    if (this.streamCreation.mayCreate(subjects, target.namespace) && (await this.streamCreation.quotaAdmits(target.namespace, target.name))) return actions;
    const spelled = actions.includes('*') ? [...REPOSITORY_ACTIONS] : actions;
    return [...new Set(spelled)].filter((a) => a !== 'push');
  }

  /** The requested actions the policy allows: repository pull/push/delete by namespace, the catalog's `*`; nothing else. */
  private granted(subjects: string[], scope: TokenAccess): string[] {
    const { policy } = this;
    if (scope.type === 'registry' && scope.name === 'catalog') {
      const may = policy.catalog.some((s) => subjects.includes(s));
      return may ? scope.actions.filter((a) => a === '*') : [];
    }
    if (scope.type !== 'repository') return [];
    // Repositories are <namespace>/<stream> as in OpenShift's registry, whose auth refuses any other
    // shape ("it must be of the format <project>/<name>"): a repository that cannot be an image
    // stream (one part, three or more, names the API refuses) gets nothing, so a push there fails
    // instead of succeeding into a repository whose events are only ever recorded as ignored.
    const target = repositoryTarget(scope.name);
    if ('ignored' in target) return [];
    // The policy's grants and the default role bindings: what the API's access reviews answer too.
    const allowed: Set<string> = repositoryActionsOf(policy, subjects, target.namespace);
    // `*` asks for every action: granted as `*` (which the registry takes for any action) only to
    // a subject allowed them all; otherwise the intersection the token spec asks for, the actions
    // the subject does have (a puller asking for `*` gets `pull`, not nothing).
    const all = REPOSITORY_ACTIONS.every((a) => allowed.has(a));
    const asked = scope.actions.flatMap((a) => (a === '*' && !all ? [...REPOSITORY_ACTIONS] : [a]));
    return [...new Set(asked)].filter((a) => allowed.has(a) || (a === '*' && all));
  }
}

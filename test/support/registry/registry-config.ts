export interface RegistryConfigInput {
  port: number;
  rootDirectory: string;
  secret: string;
  notifyUrl?: string;
  notifyHeaders?: Record<string, string | string[]>;
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Serve HTTPS with this PEM certificate and key (paths). */
  tls?: { certificate: string; key: string };
  /** Bearer-token auth (`auth.token`) against a token service. */
  tokenAuth?: RegistryTokenAuth;
}

/** distribution's `auth.token` section. */
export interface RegistryTokenAuth {
  realm: string;
  service: string;
  issuer: string;
  /** Path of a PEM certificate of the token signing key. */
  rootCertBundle: string;
}

/** JSON strings are valid YAML double-quoted scalars, which sidesteps YAML quoting rules. */
const q = (value: string) => JSON.stringify(value);

/**
 * distribution 2.8 config: filesystem storage, delete enabled (else DELETE → 405), and one webhook
 * endpoint with references included. timeout/threshold/backoff are short so retry tests stay fast.
 */
export function registryConfigYaml(input: RegistryConfigInput): string {
  const lines = [
    'version: 0.1',
    'log:',
    `  level: ${input.logLevel ?? 'info'}`,
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(input.rootDirectory)}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    `  addr: ${q(`127.0.0.1:${input.port}`)}`,
    `  secret: ${q(input.secret)}`, // without it: a warning and a random secret per process
  ];
  if (input.tls) lines.push('  tls:', `    certificate: ${q(input.tls.certificate)}`, `    key: ${q(input.tls.key)}`);
  if (input.tokenAuth) {
    const t = input.tokenAuth;
    lines.push('auth:', '  token:', `    realm: ${q(t.realm)}`, `    service: ${q(t.service)}`, `    issuer: ${q(t.issuer)}`, `    rootcertbundle: ${q(t.rootCertBundle)}`);
  }
  if (input.notifyUrl) {
    lines.push(
      'notifications:',
      '  events:',
      '    includereferences: true',
      '  endpoints:',
      '    - name: test-listener',
      '      disabled: false',
      `      url: ${q(input.notifyUrl)}`,
      '      headers:',
      ...Object.entries(input.notifyHeaders ?? {}).map(
        // values must be lists; a list is sent as repeated header lines
        ([name, value]) =>
          `        ${q(name)}: [${(Array.isArray(value) ? value : [value]).map(q).join(', ')}]`,
      ),
      '      timeout: 2s',
      '      threshold: 3',
      '      backoff: 1s',
    );
    if (!input.notifyHeaders || Object.keys(input.notifyHeaders).length === 0)
      lines.splice(lines.indexOf('      headers:'), 1);
  }
  return `${lines.join('\n')}\n`;
}

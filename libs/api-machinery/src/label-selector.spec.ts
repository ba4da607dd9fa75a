import { ApiError } from './api-error';
import { matchesLabels, parseLabelSelector } from './label-selector';

/** What parsing `input` throws (undefined when it parses). */
function parseError(input: string): unknown {
  try {
    parseLabelSelector(input);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('parseLabelSelector', () => {
  it.each([
    ['', []],
    ['a=b', [{ key: 'a', op: 'in', values: ['b'] }]],
    ['a==b', [{ key: 'a', op: 'in', values: ['b'] }]],
    ['a!=b', [{ key: 'a', op: 'notin', values: ['b'] }]],
    ['env in (prod, qa)', [{ key: 'env', op: 'in', values: ['prod', 'qa'] }]],
    ['env notin (dev)', [{ key: 'env', op: 'notin', values: ['dev'] }]],
    // apimachinery: `()` is the set of the empty value, and empty items are the empty value.
    ['env in ()', [{ key: 'env', op: 'in', values: [''] }]],
    ['env notin (,dev,)', [{ key: 'env', op: 'notin', values: ['', 'dev'] }]],
    ['app.kubernetes.io/name', [{ key: 'app.kubernetes.io/name', op: 'exists' }]],
    ['!legacy', [{ key: 'legacy', op: '!exists' }]],
    ['replicas>3', [{ key: 'replicas', op: 'gt', value: 3n }]],
    ['replicas < 10', [{ key: 'replicas', op: 'lt', value: 10n }]],
    [
      'a=b,env in (x,y),!z',
      [
        { key: 'a', op: 'in', values: ['b'] },
        { key: 'env', op: 'in', values: ['x', 'y'] },
        { key: 'z', op: '!exists' },
      ],
    ],
  ])('parses %j', (input, expected) => {
    expect(parseLabelSelector(input)).toEqual(expected);
  });

  it.each(['a=b,', 'a b', '=b', 'a=b c', 'Bad Key=x', 'a=' + 'x'.repeat(64), 'n>x', 'n>', 'n>=3', 'n>-1', 'n>99999999999999999999'])('rejects %j with 400', (input) => {
    const thrown = parseError(input);
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).code).toBe(400);
  });
});

/** IsQualifiedName's name-part and IsValidLabelValue's regex messages, as apimachinery words them. */
const QN =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LV =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('parseLabelSelector errors: apimachinery 0.34 labels.Parse, word for word', () => {
  // Expected texts are labels.Parse's err.Error() (kube-apiserver's 400 message for ?labelSelector=).
  it.each([
    [`a b`, `unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt`],
    [`Ap$p=x`, `unable to parse requirement: <nil>: Invalid value: "Ap$p": ${QN}`],
    [`app=-x`, `unable to parse requirement: values[0][app]: Invalid value: "-x": ${LV}`],
    [`app>x`, `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`],
    [`app in (a`, `unable to parse requirement: found '', expected: ',' or ')'`],
    [`app,`, `found '', expected: identifier after ','`],
    [`app=x y`, `found 'y', expected: ',' or 'end of string'`],
    [`=b`, `found '=', expected: !, identifier, or 'end of string'`],
    [`,a`, `found ',', expected: !, identifier, or 'end of string'`],
    [`a in (`, `unable to parse requirement: found '', expected: ',', ')' or identifier`],
    [`a in b`, `unable to parse requirement: found 'b' expected: '('`],
    [`a in (a=b)`, `unable to parse requirement: found '=', expected: ',' or ')'`],
    [`a in (a b)`, `unable to parse requirement: found 'b', expected: ',' or ')'`],
    [`a>`, `unable to parse requirement: values[0]: Invalid value: "": for 'Gt', 'Lt' operators, the value must be an integer`],
    [`a>=3`, `unable to parse requirement: found '=', expected: identifier`],
    [`a=!b`, `unable to parse requirement: found '!', expected: identifier`],
    [`!a=b`, `found '=', expected: ',' or 'end of string'`],
    [`!,`, `unable to parse requirement: found ',', expected: identifier`],
    [`a,,b`, `found ',', expected: identifier after ','`],
    [`a/b/c`, `unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`],
    [`/a`, `unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty`],
    [`a/`, `unable to parse requirement: <nil>: Invalid value: "a/": name part must be non-empty; ${QN}`],
    ['x'.repeat(64), `unable to parse requirement: <nil>: Invalid value: "${'x'.repeat(64)}": name part must be no more than 63 characters`],
    [`-a.com/b`, `unable to parse requirement: <nil>: Invalid value: "-a.com/b": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`],
    [`${'a'.repeat(254)}/b`, `unable to parse requirement: <nil>: Invalid value: "${'a'.repeat(254)}/b": prefix part must be no more than 253 characters`],
    [`a=${'x'.repeat(64)}`, `unable to parse requirement: values[0][a]: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`],
    [`a=${'-'.repeat(64)}`, `unable to parse requirement: values[0][a]: Invalid value: "${'-'.repeat(64)}": must be no more than 63 characters; ${LV}`],
    [`a in (-b,-a)`, `unable to parse requirement: [values[0][a]: Invalid value: "-a": ${LV}, values[1][a]: Invalid value: "-b": ${LV}]`],
    [`a in (-a,-a)`, `unable to parse requirement: values[0][a]: Invalid value: "-a": ${LV}`],
    [`a>-x`, `unable to parse requirement: [values[0]: Invalid value: "-x": for 'Gt', 'Lt' operators, the value must be an integer, values[0][a]: Invalid value: "-x": ${LV}]`],
    [`a>-1`, `unable to parse requirement: values[0][a]: Invalid value: "-1": ${LV}`],
    [`a>99999999999999999999`, `unable to parse requirement: values[0]: Invalid value: "99999999999999999999": for 'Gt', 'Lt' operators, the value must be an integer`],
    [`a=é`, `unable to parse requirement: values[0][a]: Invalid value: "é": ${LV}`],
    ['é'.repeat(32), `unable to parse requirement: <nil>: Invalid value: "${'é'.repeat(32)}": name part must be no more than 63 characters; ${QN}`],
    [`a=\u0001`, `unable to parse requirement: values[0][a]: Invalid value: "\\x01": ${LV}`],
    [`a=\u007f\u00a0\u200b`, `unable to parse requirement: values[0][a]: Invalid value: "\\x7f\\u00a0\\u200b": ${LV}`],
    [`a=😀`, `unable to parse requirement: values[0][a]: Invalid value: "😀": ${LV}`],
    [`a="q\\`, `unable to parse requirement: values[0][a]: Invalid value: "\\"q\\\\": ${LV}`],
    [`a!b`, `unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt`],
    [`a<>b`, `unable to parse requirement: found '>', expected: identifier`],
    [`a (b)`, `unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt`],
    [`a notin`, `unable to parse requirement: found '' expected: '('`],
    [`a\u0000b`, `unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt`],
    [`a=b=c`, `found '=', expected: ',' or 'end of string'`],
    [`!`, `unable to parse requirement: found '', expected: identifier`],
    [`a=b,`, `found '', expected: identifier after ','`],
  ])('%j → %s', (input, message) => {
    const thrown = parseError(input);
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({ code: 400, reason: 'BadRequest', message });
  });

  it.each([
    // `in` and `notin` are identifiers where a key or value is expected.
    ['in in (in)', [{ key: 'in', op: 'in', values: ['in'] }]],
    ['notin=in', [{ key: 'notin', op: 'in', values: ['in'] }]],
    // Only space, tab, CR and LF separate; nothing but them is the empty selector.
    [' \t\r\n', []],
    ['a=', [{ key: 'a', op: 'in', values: [''] }]],
    ['a in (b,a,b)', [{ key: 'a', op: 'in', values: ['a', 'b'] }]],
    // Go's byte lexer reads a NUL byte as the end of a word.
    ['a=\u0000b', [{ key: 'a', op: 'in', values: ['b'] }]],
  ])('parses %j as upstream', (input, expected) => {
    expect(parseLabelSelector(input)).toEqual(expected);
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', env: 'prod', n: '4', big: '99999999999999999999' };
  it('`in ()` selects a label that is present and empty', () => {
    expect(matchesLabels(parseLabelSelector('tier in ()'), { tier: '' })).toBe(true);
    expect(matchesLabels(parseLabelSelector('tier notin ()'), { tier: '' })).toBe(false);
  });

  it.each([
    ['app=web', true],
    ['app=api', false],
    ['app!=api', true],
    ['missing!=x', true],
    ['env in (prod,qa)', true],
    ['env notin (prod)', false],
    ['env in ()', false],
    ['env notin ()', true],
    ['missing in ()', false],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app=web,env=qa', false],
    ['n>3', true],
    ['n>4', false],
    ['n<5', true],
    ['n<4', false],
    ['app>1', false],
    ['missing<1', false],
    ['big>1', false],
  ])('%s → %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });
});

// The lint of the generated OpenAPI document (tests/http/openapi-lint.test.ts; by hand:
// `npx spectral lint <document> --ruleset .spectral.mjs`): Spectral's `spectral:oas` and the OWASP
// API Security ruleset, with two changes, each for a reason given here. What still warns is
// listed, with why it is accepted, in .spectral-accepted.json.
import owaspRuleset from '@stoplight/spectral-owasp-ruleset';
import { oas } from '@stoplight/spectral-rulesets';

const owasp = owaspRuleset.default ?? owaspRuleset;

// The OWASP resource-exhaustion rules (API4) ask every string, integer and array schema for a
// bound. They exist for what a caller sends; the response schemas describe what the server
// writes, where a bound would be invented. So they apply to request bodies and parameters.
// A date-time's fraction of a second has no fixed length in ISO 8601; its pattern checks the
// form, and the body limit (MAX_BODY_BYTES) bounds it. Every other string needs a maximum.
const INPUTS = (type) => {
  const filter = `@ && @.type == '${type}' && @.format != 'date-time'`;
  return [
    `$.paths[*][*].requestBody.content[*].schema..[?(${filter})]`,
    `$.paths[*][*].parameters[*].schema[?(${filter})]`,
    `$.components.parameters[*].schema[?(${filter})]`,
  ];
};
const INPUT_RULES = {
  'owasp:api4:2023-string-limit': 'string',
  'owasp:api4:2023-string-restricted': 'string',
  'owasp:api4:2023-integer-limit': 'integer',
  'owasp:api4:2023-integer-limit-legacy': 'integer',
  'owasp:api4:2023-integer-format': 'integer',
  'owasp:api4:2023-array-limit': 'array',
};

export default {
  extends: [[oas, 'recommended'], [owasp, 'recommended']],
  rules: {
    ...Object.fromEntries(
      Object.entries(INPUT_RULES).map(([name, type]) => [name, { ...owasp.rules[name], given: INPUTS(type) }]),
    ),
    // `continuationToken` matches the rule's /token/ but is no credential: an opaque paging
    // cursor, sealed with an HMAC and bound to the caller and the list, that grants nothing a
    // caller's own token does not (lib/paging/continuation-sealer.ts). Every other query and
    // path parameter is still checked.
    'owasp:api2:2023-no-credentials-in-url': {
      ...owasp.rules['owasp:api2:2023-no-credentials-in-url'],
      given: ["$..parameters[?(@ && @.in && @.in.match(/query|path/) && @.name != 'continuationToken')].name"],
    },
    // The rule's `$..headers` also matches components.headers, the definitions every response
    // refers to, which is not a response; every response is still checked.
    'owasp:api8:2023-define-cors-origin': {
      ...owasp.rules['owasp:api8:2023-define-cors-origin'],
      given: ['$.paths..responses[*].headers', '$.components.responses[*].headers'],
    },
    // Errors in the OWASP ruleset that this API breaks on purpose, each for a reason given in
    // .spectral-accepted.json, where every place is listed: they warn, and a new one fails.
    'owasp:api4:2023-rate-limit': 'warn',
    'owasp:api2:2023-write-restricted': 'warn',
    // Spectral compiles schema patterns without the `u` flag (spectral-functions' Ajv sets
    // unicodeRegExp: false), so a `\p{L}` pattern refuses "Statsforvalteren i Vestland". The
    // same check, with the patterns the API really uses, is in tests/http/openapi.test.ts
    // ("every example is valid against its schema").
    'oas3-valid-media-example': 'off',
  },
};

import { readFileSync } from 'node:fs';
import { Document, Spectral, type RulesetDefinition } from '@stoplight/spectral-core';
import Parsers from '@stoplight/spectral-parsers';
import { describe, expect, it } from 'vitest';
import ruleset from '../../.spectral.mjs';
import { deployedOpenApiDocument } from '../support/openapi-document.js';

interface Accepted {
  reason: string;
  at: string[];
}

const ACCEPTED_FILE = new URL('../../.spectral-accepted.json', import.meta.url);

/** Spectral over the document the deployed app serves: `spectral:oas` and the OWASP API Security ruleset (.spectral.mjs). */
async function lint() {
  const spectral = new Spectral();
  spectral.setRuleset(ruleset as unknown as RulesetDefinition);
  const results = await spectral.run(new Document(JSON.stringify(deployedOpenApiDocument(), null, 2), Parsers.Json, 'openapi.json'));
  return results.map((result) => ({ severity: result.severity, key: `${String(result.code)} ${result.path.join('.')}`, message: result.message }));
}

describe('the OpenAPI document passes Spectral (spectral:oas and the OWASP API Security ruleset)', () => {
  it('with no errors, and no warning that .spectral-accepted.json does not list with its reason', async () => {
    const results = await lint();
    expect(results.filter((result) => result.severity === 0).map((result) => `${result.key}: ${result.message}`)).toEqual([]);
    const accepted = JSON.parse(readFileSync(ACCEPTED_FILE, 'utf8')) as Record<string, Accepted>;
    for (const [rule, entry] of Object.entries(accepted)) expect(entry.reason.length, rule).toBeGreaterThan(40);
    const listed = new Set(Object.entries(accepted).flatMap(([rule, entry]) => entry.at.map((path) => `${rule} ${path}`)));
    const warnings = new Set(results.filter((result) => result.severity === 1).map((result) => result.key));
    expect([...warnings].filter((key) => !listed.has(key)), 'new warnings: fix them, or list them with the reason they are accepted').toEqual([]);
    expect([...listed].filter((key) => !warnings.has(key)), 'listed warnings that no longer occur: remove them from the list').toEqual([]);
  });
});

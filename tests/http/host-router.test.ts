import { describe, expect, it } from 'vitest';
import { HostRouter } from '../../lib/http/router.js';

const router = new HostRouter([
  { name: 'get-school', methods: ['GET'], route: 'municipalities/{municipalityId}/schools/{schoolId}' },
  { name: 'list-schools', methods: ['GET', 'post'], route: 'municipalities/{municipalityId}/schools' },
  { name: 'zz-unmatched-route', methods: ['GET', 'POST'], route: '{*path}' },
]);

describe('host router (template matching as the Functions host does it)', () => {
  it('compares literals without case, keeps parameters as sent, decoded', () => {
    expect(router.match('get', '/Municipalities/0301/SCHOOLS/Ab%20C')).toEqual({ function: expect.objectContaining({ name: 'get-school' }), params: { municipalityId: '0301', schoolId: 'Ab C' } });
    expect(router.match('POST', '/municipalities/0301/schools')?.function.name).toBe('list-schools');
  });

  it('needs as many segments as the template, unless it ends in a catch-all, which takes the rest (or nothing)', () => {
    expect(router.match('GET', '/municipalities/0301/schools/1/extra')).toEqual({ function: expect.objectContaining({ name: 'zz-unmatched-route' }), params: { path: 'municipalities/0301/schools/1/extra' } });
    expect(router.match('GET', '/')).toEqual({ function: expect.objectContaining({ name: 'zz-unmatched-route' }), params: { path: '' } });
    expect(router.match('DELETE', '/municipalities/0301/schools')).toBeUndefined();
  });

  it('passes over a template whose parameter cannot be decoded', () => {
    expect(router.match('GET', '/municipalities/%E0%A4%A/schools')?.function.name).toBe('zz-unmatched-route');
  });

  it('lists the methods of the templates that match, catch-alls apart (the Allow of a 405)', () => {
    expect(router.allowedMethods('/municipalities/0301/schools').sort()).toEqual(['GET', 'POST']);
  });
});

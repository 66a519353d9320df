/**
 * Setup file of the workerd projects: a test fails when a response it received
 * through checkedFetch disagrees with the OpenAPI document (ADR 0095).
 */
import { afterAll, afterEach, expect } from 'vitest';
import { takeMismatches, type ContractMismatch } from './openapi-contract';

const describe = (found: ContractMismatch[]) => found.map((m) => `${m.operation} ${m.method} ${m.path} → ${m.status}: ${m.problem}`);

afterEach(() => {
  expect(describe(takeMismatches()), 'responses that disagree with the OpenAPI document').toEqual([]);
});

afterAll(() => {
  // Answers received in beforeAll/afterAll hooks.
  expect(describe(takeMismatches()), 'responses (in hooks) that disagree with the OpenAPI document').toEqual([]);
});

/**
 * Global setup of the browser test projects: a MoQ relay on loopback for the MoQ node tests,
 * its URL handed to the tests as `inject('moqRelay')`.
 */
import type { TestProject } from 'vitest/node';
import { startTestRelay } from './moq-relay-server';

declare module 'vitest' {
  export interface ProvidedContext {
    moqRelay: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const relay = await startTestRelay();
  project.provide('moqRelay', `${relay.url}/moq`);
  return () => relay.close();
}

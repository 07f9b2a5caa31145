// What a user's own step files may import as 'keelhaul' (see docs/authoring.md).
export { KeelhaulWorld } from './world.js';
export { doc } from './step-docs.js';
export { Finding } from '../judges/errors.js';
export * as capabilities from '../judges/capabilities.js';
export * as namespaces from '../judges/namespaces.js';
export type { ContainerSpec, RunResult } from '../adapters/platform/docker-client.js';
export type { StepDoc } from './step-docs.js';

/**
 * `keel/testing`: a real local Keel service for tests, as `@temporalio/testing` has it.
 * @module
 */
export { TestWorkflowEnvironment, type LocalTestWorkflowEnvironmentOptions } from './test-workflow-environment.js';
export { startLocalService, type LocalService, type LocalServiceOptions } from './local-service.js';
export { MockActivityEnvironment, defaultActivityInfo, type MockActivityEnvironmentOptions } from './mock-activity-environment.js';

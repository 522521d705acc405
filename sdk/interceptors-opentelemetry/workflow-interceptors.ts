// The module the OpenTelemetry worker plugin lists in `interceptors.workflowModules` (Temporal's
// `@temporalio/interceptors-opentelemetry/lib/workflow-interceptors`): bundled into the workflow
// sandbox, it exports the run's `interceptors` factory.
export { interceptors } from './workflow.js';

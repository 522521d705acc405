// Owns a fixture internals interceptor whose `dispose` leaves a console line, so that a test sees
// the runtime's dispose reach it when the worker lets go of the run.
import type { WorkflowInterceptorsFactory } from 'keel/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  internals: [
    {
      dispose(input, next) {
        console.log('disposed by the internals interceptor');
        next(input);
      },
    },
  ],
});

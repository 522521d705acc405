// Activities: ordinary async functions, where side effects belong (network, databases, files).
// They run in the worker, outside the workflow sandbox, and are retried by their retry policy.
import { Context } from 'keel/activity';

export function createActivities(greeting = 'Hello') {
  return {
    async composeGreeting(name: string): Promise<string> {
      Context.current().log.info(`composing a greeting for ${name}`);
      return `${greeting}, ${name}!`;
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

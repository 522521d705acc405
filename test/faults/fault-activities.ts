// The fault suite's activity: instant and deterministic, so a repeat is harmless and the result checkable.
export function createFaultActivities() {
  return {
    async step(id: string, i: number): Promise<string> {
      return `${id}:${i}`;
    },
  };
}
export type FaultActivities = ReturnType<typeof createFaultActivities>;

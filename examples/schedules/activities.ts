// Activities: the report is "sent" by writing a line (tests pass their own log).
export function createActivities(log: (line: string) => void = console.log) {
  return {
    async sendReport(day: string): Promise<string> {
      const line = `[report] sales report for ${day} sent`;
      log(line);
      return line;
    },
  };
}

// Activities of the benchmark workflows: as cheap as an activity can be, so that what is
// measured is Keel's own cost (service, wire, worker), not the activity's.
export async function echo(value: string): Promise<string> {
  return value;
}

// The activities of the tracing example; each runs inside its RunActivity span.
export async function reserve(item: string): Promise<string> {
  return `reservation of ${item}`;
}

export async function charge(reservation: string): Promise<string> {
  return `charged for ${reservation}`;
}

// Activities: ordinary async functions that may do anything — I/O, network, randomness.
export async function greet(name: string): Promise<string> {
  return `Hello, ${name}!`;
}

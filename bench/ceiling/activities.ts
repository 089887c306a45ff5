/** Does nothing worth measuring: the scenario measures the engine around it. */
export async function touch(n: number): Promise<number> {
  return n;
}

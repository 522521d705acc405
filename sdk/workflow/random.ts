// Owns the workflow's deterministic randomness: a small seeded PRNG (sfc32, seeded through
// splitmix32) and the v4 UUIDs drawn from it. Replay gives the same seed, hence the same values.

/**
 * A seeded PRNG whose state can be copied, so that a query handler can draw numbers without
 * moving the run's own sequence (queries are not replayed; the run's draws must not depend on them).
 */
export class Prng {
  private constructor(
    private a: number,
    private b: number,
    private c: number,
    private d: number,
  ) {}

  /**
   * Makes a PRNG from a seed (any finite number; the service's `randomnessSeed`). Both 32-bit
   * halves of the seed count, so seeds above 2^32 do not collide with small ones.
   */
  public static fromSeed(seed: number): Prng {
    const lo = seed >>> 0;
    const hi = Math.floor(Math.abs(seed) / 0x100000000) >>> 0;
    // splitmix32 spreads the seed over sfc32's 128 bits of state.
    let sm = (lo ^ Math.imul(hi, 0x9e3779b9)) >>> 0;
    const splitmix = (): number => {
      sm = (sm + 0x9e3779b9) | 0;
      let z = sm;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    const prng = new Prng(splitmix(), splitmix(), splitmix(), splitmix());
    // Discard the first outputs, as sfc32's author advises, so that close seeds diverge.
    for (let i = 0; i < 12; i++) prng.next();
    return prng;
  }

  /** The next float in [0, 1), like `Math.random()`. */
  public next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 0x100000000;
  }

  /** An independent PRNG in the same state. */
  public clone(): Prng {
    return new Prng(this.a, this.b, this.c, this.d);
  }

  /** Fills `bytes` with random bytes, one draw per byte. */
  public fill<T extends Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | Int32Array>(bytes: T): T {
    const range = 2 ** (bytes.BYTES_PER_ELEMENT * 8);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(this.next() * range);
    return bytes;
  }

  /** An RFC 4122 version-4 UUID: deterministic, not cryptographically secure. */
  public uuid4(): string {
    const bytes = this.fill(new Uint8Array(16));
    bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10xx
    let hex = '';
    for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

/** The image gates, in the order an image meets them. */
export type ImageGate = 'pinning' | 'registry' | 'signature' | 'sbom' | 'vulnerabilities';

/** One image refused by one gate; the image gate turns it into a ConfigError naming the service. */
export class GateRefusal extends Error {
  constructor(
    readonly gate: ImageGate,
    readonly reason: string,
  ) {
    super(`${gate} gate: ${reason}`);
    this.name = 'GateRefusal';
  }
}

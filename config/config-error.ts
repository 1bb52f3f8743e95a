/**
 * A rejected piece of the config repo. Operators fix config by file, so every
 * rejection names the file, the field inside it, and why.
 */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: ${field}: ${reason}`);
    this.name = 'ConfigError';
  }

  toJSON(): { file: string; field: string; reason: string } {
    return { file: this.file, field: this.field, reason: this.reason };
  }
}

// Type declarations for String.prototype.isWellFormed/toWellFormed (ES2024, present in Node 20) without pulling in all of lib.es2024.

declare global {
  interface String {
    /** Whether the string has no lone surrogates. */
    isWellFormed(): boolean;
    /** The string with lone surrogates replaced by U+FFFD. */
    toWellFormed(): string;
  }
}

export {};

import mongoose from 'mongoose';

/**
 * Marks a query operator object written by our code as intended. `sanitizeFilter` is on, so any
 * `$`-object in a filter that is not wrapped in trusted() is treated as a literal value; that keeps
 * operators that arrive in request data from changing a query, and means our own filters such as
 * `{ expiresAt: trusted({ $lte: now }) }` must say so.
 */
export const trusted = <T extends object>(operators: T): T => mongoose.trusted(operators) as T;

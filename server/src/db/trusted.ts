import mongoose from 'mongoose';

/**
 * Marks a query operator object written by our code as intended. `sanitizeFilter` is on, so mongoose
 * wraps every other `$`-object in a filter in `$eq` and operators from request data cannot change a
 * query. Our own operators must therefore be wrapped: `{ expiresAt: trusted({ $lte: now }) }`.
 */
export const trusted = <T extends object>(operators: T): T => mongoose.trusted(operators) as T;

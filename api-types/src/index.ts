// Request and response types of the HTTP API, shared by the server, the mini-program and the bot.
// This package contains types only, so importing it pulls no server code into a client bundle.
// Times are ISO 8601 strings in UTC; ids are 24-character hex strings.

export * from './errors.js';
export * from './auth.js';
export * from './catalog.js';
export * from './quizzes.js';
export * from './learning.js';
export * from './hours.js';
export * from './orders.js';
export * from './official-account.js';
export * from './assistant.js';
export * from './recommendations.js';
export * from './push.js';

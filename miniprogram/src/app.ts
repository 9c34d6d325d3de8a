import type { PropsWithChildren } from 'react';

import { installChunkLoadErrorHandler } from './services/chunk-load-errors';
import './app.scss';

installChunkLoadErrorHandler();

function App({ children }: PropsWithChildren) {
  // Pages render as children. Login happens on the first API request (services/http.ts).
  return children;
}

export default App;

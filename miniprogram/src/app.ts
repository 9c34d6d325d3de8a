import type { PropsWithChildren } from 'react';

import './app.scss';

function App({ children }: PropsWithChildren) {
  // Pages render as children. Login happens on the first API request (services/http.ts).
  return children;
}

export default App;

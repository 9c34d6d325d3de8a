import { useDidHide, useDidShow } from '@tarojs/taro';
import { useEffect, useRef, useState } from 'react';

import { getApi } from '../services/api';
import { debugLog } from '../services/debug';
import {
  createLearningSession,
  type LearningSession,
  type LearningSessionState,
} from '../services/learning-session';
import { onNetworkRestored } from '../services/network-status';

/**
 * Runs a learning session while the page shows `lessonId`: started on open, heartbeats while the
 * page is visible, `hidden`/`resumed` heartbeats on hide and show, and the end call on unload.
 * Must be called from the page component, because Taro's page hooks bind to the page.
 */
export function useLearningSession(
  lessonId: string,
  getPosition: () => number | null,
): LearningSessionState {
  const [state, setState] = useState<LearningSessionState>({ session: null, unsavedCount: 0 });
  const sessionRef = useRef<LearningSession | null>(null);
  const positionRef = useRef(getPosition);
  positionRef.current = getPosition;

  useEffect(() => {
    if (!lessonId) return undefined;
    const session = createLearningSession({
      lessonId,
      api: getApi(),
      getPosition: () => positionRef.current(),
      onChange: setState,
    });
    sessionRef.current = session;
    session.start().catch((error: unknown) => {
      // The next network recovery retries the start with the same client session id.
      debugLog('learning session not started', { lessonId, error: String(error) });
    });
    const stopListening = onNetworkRestored(() => void session.flush());
    return () => {
      stopListening();
      sessionRef.current = null;
      void session.end();
    };
  }, [lessonId]);

  useDidHide(() => sessionRef.current?.hide());
  useDidShow(() => sessionRef.current?.show());

  return state;
}

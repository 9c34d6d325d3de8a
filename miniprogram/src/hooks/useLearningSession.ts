import { useDidHide, useDidShow } from '@tarojs/taro';
import { useCallback, useEffect, useRef, useState } from 'react';

import { getApi } from '../services/api';
import { debugLog } from '../services/debug';
import {
  createLearningSession,
  type HeartbeatExtras,
  type LearningSession,
  type LearningSessionState,
  type PlayerFields,
} from '../services/learning-session';
import { onNetworkRestored } from '../services/network-status';

export interface LearningSessionHandle extends LearningSessionState {
  /** Sends a heartbeat now (play, pause, seek, page change). Does nothing before the start. */
  beat: (extras?: HeartbeatExtras) => void;
}

/**
 * Runs a learning session while the page shows `lessonId`: started on open, heartbeats while the
 * page is visible, `hidden`/`resumed` heartbeats on hide and show, and the end call on unload.
 * `getPlayerFields` adds a video player's state to every heartbeat.
 * Must be called from the page component, because Taro's page hooks bind to the page.
 */
export function useLearningSession(
  lessonId: string,
  getPosition: () => number | null,
  getPlayerFields?: () => PlayerFields,
): LearningSessionHandle {
  const [state, setState] = useState<LearningSessionState>({
    session: null,
    unsavedCount: 0,
    rejectedMessage: null,
  });
  const sessionRef = useRef<LearningSession | null>(null);
  const positionRef = useRef(getPosition);
  positionRef.current = getPosition;
  const playerFieldsRef = useRef(getPlayerFields);
  playerFieldsRef.current = getPlayerFields;

  useEffect(() => {
    if (!lessonId) return undefined;
    const session = createLearningSession({
      lessonId,
      api: getApi(),
      getPosition: () => positionRef.current(),
      getPlayerFields: () => playerFieldsRef.current?.() ?? {},
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

  const beat = useCallback((extras?: HeartbeatExtras) => sessionRef.current?.beat(extras), []);
  return { ...state, beat };
}

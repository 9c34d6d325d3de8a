import type { LearningSessionView, LessonContent } from '@wxlearn/api-types';
import type { MutableRefObject } from 'react';

import type { HeartbeatExtras, PlayerFields } from '../../../services/learning-session';

/** Position and player state that a player reports to the lesson page for periodic heartbeats. */
export interface PlayerSource {
  /** Video second or document page shown, or null before the player has placed one. */
  getPosition(): number | null;
  getPlayerFields?(): PlayerFields;
}

/** Props shared by the video and document players of the lesson page. */
export interface PlayerProps<Content extends LessonContent> {
  content: Content;
  /** The server's learning session, null until the start call has succeeded. */
  session: LearningSessionView | null;
  /** Sends a heartbeat now. */
  beat: (extras: HeartbeatExtras) => void;
  /** Set by the player on mount, read by the page's periodic heartbeats. */
  sourceRef: MutableRefObject<PlayerSource | null>;
}

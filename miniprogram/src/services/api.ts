import type {
  AttemptResult,
  AttemptView,
  BindEmployeeRequest,
  ChatBindingCodeResponse,
  CategoriesResponse,
  CourseDetail,
  CoursePage,
  CourseQuery,
  CreateOrderRequest,
  CreateOrderResponse,
  DevPayOrderResponse,
  EndSessionRequest,
  EnrolmentView,
  HeartbeatBatchResponse,
  HeartbeatPayload,
  LearningSessionView,
  LearnerProfile,
  LessonDetail,
  LessonProgressView,
  MyCoursesResponse,
  MyHoursResponse,
  OrderView,
  PushNoticeList,
  PushOpenResponse,
  PushOptOut,
  PushOptOutStatus,
  QuizDetail,
  QuizPage,
  SaveAnswerRequest,
  SubscriptionGrantRequest,
  SubscriptionGrantResponse,
} from '@wxlearn/api-types';

import { defaultApiBaseUrl } from './env';
import { createApiClient, type ApiClient } from './http';
import { platformLoginCodeSource } from './login';
import { createTaroSessionStore } from './session';

function segment(id: string): string {
  return encodeURIComponent(id);
}

/** Typed functions for each API route, on top of a client. */
export function createApi(client: ApiClient) {
  return {
    getMe: () => client.request<LearnerProfile>('GET', '/api/me'),
    bindEmployee: (body: BindEmployeeRequest) =>
      client.request<LearnerProfile>('POST', '/api/me/binding', { body }),

    listCategories: () => client.request<CategoriesResponse>('GET', '/api/categories'),
    searchCourses: (query: CourseQuery) =>
      client.request<CoursePage>('GET', '/api/courses', { query: { ...query } }),
    getCourse: (courseId: string) =>
      client.request<CourseDetail>('GET', `/api/courses/${segment(courseId)}`),
    enrol: (courseId: string) =>
      client.request<EnrolmentView>('POST', `/api/courses/${segment(courseId)}/enrolment`),
    listMyCourses: () => client.request<MyCoursesResponse>('GET', '/api/me/courses'),
    /** Fetches the learner's hours for a calendar year, or for the current one without `year`. */
    createChatBindingCode: () =>
      client.request<ChatBindingCodeResponse>('POST', '/api/me/chat-binding-code'),
    getMyHours: (year?: number) =>
      client.request<MyHoursResponse>('GET', '/api/me/hours', { query: { year } }),
    /** Creates an order of a paid course, or returns the learner's unpaid one. */
    createOrder: (courseId: string) => {
      const body: CreateOrderRequest = { courseId };
      return client.request<CreateOrderResponse>('POST', '/api/orders', { body });
    },
    getOrder: (orderId: string) =>
      client.request<OrderView>('GET', `/api/orders/${segment(orderId)}`),
    /** Development H5 only: has the server make the WeChat sandbox pay the order. */
    devPayOrder: (orderId: string) =>
      client.request<DevPayOrderResponse>('POST', `/api/dev/orders/${segment(orderId)}/pay`),
    /** Records the result of one wx.requestSubscribeMessage call. A retry must reuse its requestId. */
    recordSubscriptionGrants: (body: SubscriptionGrantRequest) =>
      client.request<SubscriptionGrantResponse>('POST', '/api/me/subscriptions', { body }),
    getPushOptOut: () => client.request<PushOptOutStatus>('GET', '/api/me/push-opt-out'),
    setPushOptOut: (optedOut: boolean) => {
      const body: PushOptOut = { optedOut };
      return client.request<PushOptOut>('POST', '/api/me/push-opt-out', { body });
    },
    /** Fetches the learner's in-app notices, newest first. */
    listNotices: (limit?: number) =>
      client.request<PushNoticeList>('GET', '/api/me/notices', { query: { limit } }),
    /** Records the open of a pushed message's link, identified by its click token (`pt`). */
    recordPushOpen: (clickToken: string) =>
      client.request<PushOpenResponse>('GET', '/api/push/open', { query: { t: clickToken } }),
    getLesson: (lessonId: string) =>
      client.request<LessonDetail>('GET', `/api/lessons/${segment(lessonId)}`),

    listQuizzes: (page = 1) => client.request<QuizPage>('GET', '/api/quizzes', { query: { page } }),
    getQuiz: (quizId: string) =>
      client.request<QuizDetail>('GET', `/api/quizzes/${segment(quizId)}`),
    startAttempt: (quizId: string) =>
      client.request<AttemptView>('POST', `/api/quizzes/${segment(quizId)}/attempts`),
    getAttempt: (attemptId: string) =>
      client.request<AttemptView>('GET', `/api/attempts/${segment(attemptId)}`),
    saveAnswer: (attemptId: string, questionId: string, choice: string[]) => {
      const body: SaveAnswerRequest = { choice };
      const path = `/api/attempts/${segment(attemptId)}/answers/${segment(questionId)}`;
      return client.request<{ saved: true }>('PUT', path, { body });
    },
    submitAttempt: (attemptId: string) =>
      client.request<AttemptResult>('POST', `/api/attempts/${segment(attemptId)}/submit`),
    getAttemptResult: (attemptId: string) =>
      client.request<AttemptResult>('GET', `/api/attempts/${segment(attemptId)}/result`),

    startLearningSession: (lessonId: string, clientSessionId: string) =>
      client.request<LearningSessionView>('POST', '/api/learning/sessions', {
        body: { lessonId, clientSessionId },
      }),
    sendHeartbeats: (sessionId: string, heartbeats: HeartbeatPayload[]) =>
      client.request<HeartbeatBatchResponse>(
        'POST',
        `/api/learning/sessions/${segment(sessionId)}/heartbeats`,
        { body: { heartbeats } },
      ),
    endLearningSession: (sessionId: string, body: EndSessionRequest) =>
      client.request<HeartbeatBatchResponse>(
        'POST',
        `/api/learning/sessions/${segment(sessionId)}/end`,
        { body },
      ),
    getLessonProgress: (lessonId: string) =>
      client.request<LessonProgressView>(
        'GET',
        `/api/learning/lessons/${segment(lessonId)}/progress`,
      ),
  };
}

export type Api = ReturnType<typeof createApi>;

function createDefaultApi(): Api {
  const sessionStore = createTaroSessionStore();
  const client = createApiClient({
    baseUrl: defaultApiBaseUrl(),
    sessionStore,
    obtainLoginCode: platformLoginCodeSource(sessionStore),
  });
  return createApi(client);
}

let defaultApi: Api | null = null;

/** Returns the API client of this build's platform, creating it on first use. */
export function getApi(): Api {
  if (!defaultApi) defaultApi = createDefaultApi();
  return defaultApi;
}

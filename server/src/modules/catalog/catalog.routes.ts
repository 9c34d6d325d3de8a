import Router from '@koa/router';
import type {
  CategoriesResponse,
  CourseDetail,
  CoursePage,
  EnrolmentView,
  LessonDetail,
  MyCoursesResponse,
} from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { requireLearner } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import {
  presentCategory,
  presentCourseDetail,
  presentCourseSummary,
  presentEnrolment,
  presentLessonDetail,
  presentMyCourse,
} from './catalog.presenter.js';
import { courseListQuery, enrolmentBody, idParams } from './catalog.schemas.js';
import {
  enrol,
  getCourseDetail,
  getLessonDetail,
  listCategories,
  listCourses,
  listMyCourses,
} from './catalog.service.js';

export function createCatalogRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api' });
  const learner = requireLearner(deps.auth);

  router.get('/categories', learner, async (ctx) => {
    const body: CategoriesResponse = { items: (await listCategories()).map(presentCategory) };
    ctx.body = body;
  });

  router.get('/courses', learner, async (ctx) => {
    const query = parseInput(courseListQuery, ctx.query, 'course query');
    const { items, total } = await listCourses(query);
    const body: CoursePage = {
      items: items.map(presentCourseSummary),
      page: query.page,
      pageSize: query.pageSize,
      total,
    };
    ctx.body = body;
  });

  router.get('/courses/:id', learner, async (ctx) => {
    const { id } = parseInput(idParams, ctx.params, 'course id');
    const detail = await getCourseDetail(id, ctx.state.learnerId);
    const body: CourseDetail = presentCourseDetail(detail, {
      hideOnIos: deps.config.PAY_HIDE_ON_IOS,
    });
    ctx.body = body;
  });

  router.post('/courses/:id/enrolment', learner, async (ctx) => {
    const { id } = parseInput(idParams, ctx.params, 'course id');
    parseInput(enrolmentBody, ctx.request.body, 'enrolment request');
    const { enrolment, created } = await enrol(id, ctx.state.learnerId, new Date());
    const body: EnrolmentView = presentEnrolment(enrolment);
    ctx.status = created ? 201 : 200;
    ctx.body = body;
  });

  router.get('/me/courses', learner, async (ctx) => {
    const body: MyCoursesResponse = {
      items: (await listMyCourses(ctx.state.learnerId)).map(presentMyCourse),
    };
    ctx.body = body;
  });

  router.get('/lessons/:id', learner, async (ctx) => {
    const { id } = parseInput(idParams, ctx.params, 'lesson id');
    const body: LessonDetail = presentLessonDetail(await getLessonDetail(id, ctx.state.learnerId));
    ctx.body = body;
  });

  return router;
}

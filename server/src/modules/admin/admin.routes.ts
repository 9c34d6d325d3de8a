import Router from '@koa/router';
import type { HourRequirementListResponse, HourRequirementView } from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { parseInput } from '../../http/validate.js';
import { presentRequirement } from './admin.presenter.js';
import {
  hoursExportQuery,
  requirementListQuery,
  requirementParams,
  setRequirementBody,
} from './admin.schemas.js';
import { buildHoursExport } from './hours-export.service.js';
import { XLSX_CONTENT_TYPE } from './hours-export.workbook.js';
import { requireManager } from './require-manager.js';
import {
  listScopeRequirements,
  removeScopeRequirement,
  setScopeRequirement,
} from './requirements.service.js';

/** Routes for managers: hour requirements and the hours export of the org units they manage. */
export function createAdminRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/admin' });
  router.use(requireManager(deps.auth));

  router.get('/hour-requirements', async (ctx) => {
    const { year, orgUnitCode } = parseInput(
      requirementListQuery,
      ctx.query,
      'hour requirement query',
    );
    const items = await listScopeRequirements(ctx.state.manager, year, orgUnitCode);
    const body: HourRequirementListResponse = { items: items.map(presentRequirement) };
    ctx.body = body;
  });

  router.put('/hour-requirements/:orgUnitCode/:year', async (ctx) => {
    const { orgUnitCode, year } = parseInput(requirementParams, ctx.params, 'requirement path');
    const { requiredHours } = parseInput(setRequirementBody, ctx.request.body, 'requirement');
    const item = await setScopeRequirement(ctx.state.manager, orgUnitCode, year, requiredHours);
    ctx.state.log.info(
      { managerEmployeeNo: ctx.state.manager.employeeNo, orgUnitCode, year, requiredHours },
      'hour requirement set',
    );
    const body: HourRequirementView = presentRequirement(item);
    ctx.body = body;
  });

  router.delete('/hour-requirements/:orgUnitCode/:year', async (ctx) => {
    const { orgUnitCode, year } = parseInput(requirementParams, ctx.params, 'requirement path');
    await removeScopeRequirement(ctx.state.manager, orgUnitCode, year);
    ctx.state.log.info(
      { managerEmployeeNo: ctx.state.manager.employeeNo, orgUnitCode, year },
      'hour requirement removed',
    );
    ctx.status = 204;
  });

  router.get('/hours/export', async (ctx) => {
    const { year, orgUnitCode } = parseInput(hoursExportQuery, ctx.query, 'export query');
    const now = deps.now?.() ?? new Date();
    const file = await buildHoursExport(ctx.state.manager, orgUnitCode, year, now);
    ctx.state.log.info(
      {
        managerEmployeeNo: ctx.state.manager.employeeNo,
        orgUnitCode,
        year,
        employees: file.employees,
        records: file.records,
        bytes: file.content.length,
      },
      'hours export built',
    );
    ctx.type = XLSX_CONTENT_TYPE;
    ctx.attachment(file.fileName, { fallback: file.fallbackFileName });
    // The file lists employees' records: no cache may keep a copy.
    ctx.set('Cache-Control', 'no-store');
    ctx.body = file.content;
  });

  return router;
}

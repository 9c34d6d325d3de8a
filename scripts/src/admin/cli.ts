// Admin CLI: grants, revokes and lists admin roles. The manager role lets the learner bound to an
// employee manage an org unit and its subtree (hour requirements, hours export). The operator role
// lets them manage the FAQ and answer handed-over chat questions.
// Connects to the database at MONGODB_URI. Granting twice and revoking a missing grant change
// nothing and succeed, so the commands can be re-run.
//
//   node --import tsx scripts/src/admin/cli.ts grant --employee E --unit CODE [--role operator]
//   ... revoke --employee E --unit CODE [--role operator]
//   ... list [--employee E]
import { pino } from 'pino';
import { ADMIN_ROLES, type AdminRole } from '@wxlearn/server/modules/admin/admin-grant.model.js';
import { grantRole, listGrants, revokeRole } from '@wxlearn/server/modules/admin/grants.service.js';
import {
  logCommandError,
  parseCommandLine,
  parseOrExit,
  runWithDatabase,
  UsageError,
} from '../database-cli.js';

// Logs go to stderr so that stdout carries only the grant list.
const logger = pino({ name: 'admin', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));

const USAGE = `usage: cli.ts <grant|revoke|list> [options]
  grant --employee E --unit CODE    let employee E's learner manage unit CODE and its subtree;
                                    E must be on the roster and CODE an existing unit
        [--role manager|operator]   operator: manage the FAQ and answer handed-over chat
                                    questions; CODE must be the top-level unit (default: manager)
  revoke --employee E --unit CODE   remove that grant
        [--role manager|operator]
  list [--employee E]               print the grants, of one employee or all, tab-separated:
                                    employee number, name, unit code, unit name, role, created at`;

interface Command {
  name: 'grant' | 'revoke' | 'list';
  employee?: string;
  unit?: string;
  role: AdminRole;
}

function parseCommand(args: string[]): Command {
  const { values, positionals } = parseCommandLine(
    args,
    {
      employee: { type: 'string' },
      unit: { type: 'string' },
      role: { type: 'string', default: 'manager' },
    },
    USAGE,
  );
  const [name, ...rest] = positionals;
  if (!name) throw new UsageError('missing command');
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
  const employee = values.employee?.trim();
  const unit = values.unit?.trim();
  if (employee === '') throw new UsageError('--employee must not be empty');
  if (unit === '') throw new UsageError('--unit must not be empty');
  const role = values.role as AdminRole;
  if (!ADMIN_ROLES.includes(role)) {
    throw new UsageError(`--role must be one of ${ADMIN_ROLES.join(', ')}, got ${values.role}`);
  }
  if (name === 'grant' || name === 'revoke') {
    if (!employee || !unit) throw new UsageError(`${name} needs --employee and --unit`);
    return { name, employee, unit, role };
  }
  if (name === 'list') {
    if (unit) throw new UsageError('list takes no --unit');
    return { name, employee, role };
  }
  throw new UsageError(`unknown command ${name}`);
}

async function run(command: Command): Promise<void> {
  switch (command.name) {
    case 'grant': {
      const created = await grantRole(command.employee!, command.unit!, command.role, new Date());
      logger.info(
        { employeeNo: command.employee, orgUnitCode: command.unit, role: command.role },
        created
          ? `${command.role} grant created`
          : `${command.role} grant already exists, nothing changed`,
      );
      return;
    }
    case 'revoke': {
      const removed = await revokeRole(command.employee!, command.unit!, command.role);
      logger.info(
        { employeeNo: command.employee, orgUnitCode: command.unit, role: command.role },
        removed
          ? `${command.role} grant revoked`
          : `no such ${command.role} grant, nothing changed`,
      );
      return;
    }
    case 'list': {
      for (const grant of await listGrants(command.employee)) {
        const fields = [
          grant.employeeNo,
          grant.employeeName ?? '(not on roster)',
          grant.orgUnitCode,
          grant.orgUnitName ?? '(unit removed)',
          grant.role,
          grant.createdAt.toISOString(),
        ];
        process.stdout.write(`${fields.join('\t')}\n`);
      }
      return;
    }
  }
}

async function main(): Promise<void> {
  const command = parseOrExit(parseCommand, USAGE);
  await runWithDatabase({
    logger,
    purpose: 'change',
    run: async () => {
      await run(command);
      return 0;
    },
    onError: (error) =>
      logCommandError(logger, error, { command: command.name }, 'admin command failed'),
  });
}

void main();

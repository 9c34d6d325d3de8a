import type { LearnerProfile } from '@wxlearn/api-types';
import type { Types } from 'mongoose';
import type { Employee } from '../org/employee.model.js';
import type { OrgUnit } from '../org/org-unit.model.js';
import type { Binding } from './binding.model.js';
import type { Learner } from './learner.model.js';

export interface LearnerWithBinding {
  learner: Learner & { _id: Types.ObjectId; createdAt: Date };
  binding: {
    binding: Binding;
    employee: Employee;
    orgUnit: OrgUnit & { _id: Types.ObjectId };
  } | null;
}

export function presentLearner({ learner, binding }: LearnerWithBinding): LearnerProfile {
  return {
    id: learner._id.toString(),
    nickname: learner.nickname ?? null,
    createdAt: learner.createdAt.toISOString(),
    binding: binding
      ? {
          employeeNo: binding.employee.employeeNo,
          name: binding.employee.name,
          post: binding.employee.post,
          boundAt: binding.binding.boundAt.toISOString(),
          orgUnit: {
            id: binding.orgUnit._id.toString(),
            code: binding.orgUnit.code,
            name: binding.orgUnit.name,
            pathNames: binding.orgUnit.pathNames,
          },
        }
      : null,
  };
}

import type { HourRequirementView } from '@wxlearn/api-types';
import type { RequirementItem } from './requirements.service.js';

export function presentRequirement(item: RequirementItem): HourRequirementView {
  return {
    orgUnitCode: item.orgUnitCode,
    orgUnitName: item.orgUnitName,
    year: item.year,
    requiredHours: item.requiredHours,
    inheritedFrom: item.inheritedFrom ? { ...item.inheritedFrom } : null,
  };
}

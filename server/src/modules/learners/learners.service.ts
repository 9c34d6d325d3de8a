import type { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../db/errors.js';
import {
  employeeAlreadyBound,
  employeeNotFound,
  learnerAlreadyBound,
  notFound,
} from '../../errors.js';
import { EmployeeModel } from '../org/employee.model.js';
import { OrgUnitModel } from '../org/org-unit.model.js';
import { BindingModel } from './binding.model.js';
import { LearnerModel } from './learner.model.js';
import type { LearnerWithBinding } from './learner.presenter.js';

/**
 * Returns the learner with this openid, creating it on first login. Two first logins racing each
 * other both end with the one document that the unique openid index lets in.
 */
export async function findOrCreateLearner(openid: string, unionid: string | null, now: Date) {
  const update = {
    $set: { lastLoginAt: now, ...(unionid ? { unionid } : {}) },
    $setOnInsert: { openid },
  };
  try {
    return await LearnerModel.findOneAndUpdate({ openid }, update, {
      upsert: true,
      returnDocument: 'after',
    }).orFail();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    return LearnerModel.findOneAndUpdate({ openid }, update, { returnDocument: 'after' }).orFail();
  }
}

export async function getLearnerWithBinding(
  learnerId: Types.ObjectId,
): Promise<LearnerWithBinding> {
  const learner = await LearnerModel.findById(learnerId).lean();
  if (!learner) throw notFound('Learner', learnerId.toString());

  const binding = await BindingModel.findOne({ learnerId }).lean();
  if (!binding) return { learner, binding: null };

  const [employee, orgUnit] = await Promise.all([
    EmployeeModel.findOne({ employeeNo: binding.employeeNo }).lean(),
    OrgUnitModel.findOne({ code: binding.orgUnitCode }).lean(),
  ]);
  return { learner, binding: employee && orgUnit ? { binding, employee, orgUnit } : null };
}

/**
 * Binds a learner to the roster employee with this number and name. The unique indexes on the
 * binding decide races: the second of two learners claiming one employee gets a 409.
 */
export async function bindEmployee(
  learnerId: Types.ObjectId,
  employeeNo: string,
  name: string,
  now: Date,
): Promise<LearnerWithBinding> {
  const employee = await EmployeeModel.findOne({ employeeNo }).lean();
  if (!employee || employee.name !== name) throw employeeNotFound();

  const existing = await BindingModel.findOne({ learnerId }).lean();
  if (existing) {
    if (existing.employeeNo === employeeNo) return getLearnerWithBinding(learnerId);
    throw learnerAlreadyBound();
  }

  try {
    await BindingModel.create({
      learnerId,
      employeeNo,
      orgUnitCode: employee.orgUnitCode,
      boundAt: now,
    });
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const mine = await BindingModel.findOne({ learnerId }).lean();
    if (mine?.employeeNo === employeeNo) return getLearnerWithBinding(learnerId);
    throw mine ? learnerAlreadyBound() : employeeAlreadyBound();
  }
  return getLearnerWithBinding(learnerId);
}

import { Schema, Types, model, type InferSchemaType } from 'mongoose';

/**
 * Links a learner to one roster employee. Kept apart from learners so both sides can carry a unique
 * index: one employee per learner and one learner per employee, enforced by the database.
 */
const bindingSchema = new Schema(
  {
    learnerId: { type: Schema.Types.ObjectId, required: true },
    employeeNo: { type: String, required: true },
    orgUnitCode: { type: String, required: true },
    boundAt: { type: Date, required: true },
  },
  { collection: 'bindings' },
);

bindingSchema.index({ learnerId: 1 }, { unique: true });
bindingSchema.index({ employeeNo: 1 }, { unique: true });

export type Binding = InferSchemaType<typeof bindingSchema> & { learnerId: Types.ObjectId };
export const BindingModel = model('Binding', bindingSchema);

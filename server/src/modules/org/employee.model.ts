import { Schema, model, type InferSchemaType } from 'mongoose';

/** The roster imported from HR: who is an employee, of which unit, in which post. */
const employeeSchema = new Schema(
  {
    employeeNo: { type: String, required: true },
    name: { type: String, required: true },
    orgUnitCode: { type: String, required: true },
    post: { type: String, required: true },
  },
  { collection: 'employees', timestamps: true },
);

employeeSchema.index({ employeeNo: 1 }, { unique: true });
employeeSchema.index({ orgUnitCode: 1 });

export type Employee = InferSchemaType<typeof employeeSchema>;
export const EmployeeModel = model('Employee', employeeSchema);

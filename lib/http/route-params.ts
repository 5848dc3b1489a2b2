import { z } from 'zod';
import { municipalityIdSchema } from '../platform/municipalities.js';

export const tenantParams = z.strictObject({ municipalityId: municipalityIdSchema });
export const schoolParams = tenantParams.extend({ schoolId: z.uuid() });
export const groupParams = tenantParams.extend({ groupId: z.uuid() });
export const userParams = tenantParams.extend({ userId: z.uuid() });
export const studentParams = tenantParams.extend({ studentId: z.uuid() });
export const recordParams = studentParams.extend({ recordId: z.uuid() });

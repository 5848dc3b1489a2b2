/**
 * The Norwegian school year as schools and the Directorate count it: "2030-2031" runs from
 * 1 August 2030 to 31 July 2031 (teaching starts mid-August and ends around 20 June; the
 * summer belongs to the year that ends). A pupil who left on 2031-06-20 left in 2030-2031.
 */
export interface SchoolYearDays {
  /** First day, `YYYY-08-01`. */
  first: string;
  /** Last day, `YYYY-07-31` of the next calendar year. */
  last: string;
}

/** `schoolYear` must already be valid (`leaver-report-model.ts` checks the form). */
export function schoolYearDays(schoolYear: string): SchoolYearDays {
  return { first: `${schoolYear.slice(0, 4)}-08-01`, last: `${schoolYear.slice(5, 9)}-07-31` };
}

/** Whether an ISO date (`YYYY-MM-DD`) lies in the school year. */
export function schoolYearContains(schoolYear: string, date: string): boolean {
  const { first, last } = schoolYearDays(schoolYear);
  return date >= first && date <= last;
}

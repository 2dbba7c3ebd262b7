// What a form asks, given the values so far: the same `when` / `unless`
// conditions the core validates with (vhr_domain::forms).
import type { Condition } from '../ipc/bindings/Condition';
import type { Field } from '../ipc/bindings/Field';
import type { FormDef } from '../ipc/bindings/FormDef';
import type { Section } from '../ipc/bindings/Section';

/** Whether the condition's field holds one of its codes (for a multiple choice, any of them). */
export function holds(values: Record<string, unknown>, c: Condition): boolean {
  const v = values[c.field];
  return Array.isArray(v) ? v.some((code) => c.any_of.includes(code)) : c.any_of.includes(v as string);
}

/** A field is asked when its `when` holds and its `unless` does not. */
export function asked(values: Record<string, unknown>, f: Field): boolean {
  return (!f.when || holds(values, f.when)) && !(f.unless && holds(values, f.unless));
}

/** The sections asked: those whose `unless` does not hold. */
export function askedSections(form: FormDef, values: Record<string, unknown>): Section[] {
  return form.sections.filter((s) => !(s.unless && holds(values, s.unless)));
}

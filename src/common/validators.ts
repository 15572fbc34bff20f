import { Transform } from 'class-transformer';
import { ValidateBy, ValidationOptions } from 'class-validator';

/** Trims and lower-cases strings (emails); leaves other types for the validators to refuse. */
export const NormalizeEmail = (): PropertyDecorator =>
  Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));

/** Length in characters (code points), so that every character a person typed counts once. */
export function CharacterLength(
  min: number,
  max: number,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'characterLength',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          const length = [...value].length;
          return length >= min && length <= max;
        },
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be from ${min} to ${max} characters long`,
      },
    },
    options,
  );
}

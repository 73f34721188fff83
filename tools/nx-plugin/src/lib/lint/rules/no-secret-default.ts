import type { LintRule } from '../types';
import type { Arg, Env } from 'dockerfile-ast';

const ID = 'no-secret-default';

/** Names that suggest a secret: PASSWORD, PASSWD, TOKEN, SECRET anywhere; KEY as a word (API_KEY, KEY, ACCESS_KEY_ID). */
export const SECRET_NAME = /PASSWORD|PASSWD|TOKEN|SECRET|(^|_)(API)?KEYS?(_|$)|APIKEY/i;

export const noSecretDefault: LintRule = {
  id: ID,
  description: 'No ARG/ENV whose name suggests a secret (PASSWORD, TOKEN, SECRET, KEY) carries a default value.',
  check({ dockerfile }) {
    return dockerfile.instructions
      .filter((i) => i.keyword === 'ARG' || i.keyword === 'ENV')
      .flatMap((instruction) => {
        const properties = instruction.keyword === 'ARG' ? [(instruction.node as Arg).getProperty()] : (instruction.node as Env).getProperties();
        return properties
          .filter((p) => p !== null && SECRET_NAME.test(p.getName()) && (p.getValue() ?? '') !== '')
          .map((p) => ({
            rule: ID,
            line: instruction.line,
            instructionLine: instruction.line,
            message: `${instruction.keyword} ${p!.getName()} looks like a secret and has a default value, which is baked into the image and its history`,
            fix:
              instruction.keyword === 'ARG'
                ? `declare it without a value (\`ARG ${p!.getName()}\`) and pass it at build time, or use a build secret (RUN --mount=type=secret)`
                : `do not set it in the image; pass ${p!.getName()} at run time (environment or a mounted secret)`,
          }));
      });
  },
};

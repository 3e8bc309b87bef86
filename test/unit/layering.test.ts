import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';

// DESIGN.md's layering, as eslint.config.js enforces it: a violation is a lint error naming the rule.

const eslint = new ESLint({ cwd: new URL('../../', import.meta.url).pathname });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the layering lint rule', () => {
  it('refuses operator/ and action/ in src/', async () => {
    expect(await problems('src/cli/commands/x.ts', "import { runOperator } from '../../../operator/main.ts';\nexport const x = runOperator;\n")).toEqual([
      expect.stringContaining('src/ is the core'),
    ]);
    expect(await problems('src/report/x.ts', "import { run } from '../../action/main.ts';\nexport const x = run;\n")).toHaveLength(1);
  });

  it('refuses the policy in src/analysis, and each adapter in the other', async () => {
    expect(await problems('src/analysis/x.ts', "import { gate } from '../policy/gate.ts';\nexport const x = gate;\n")).toEqual([expect.stringContaining('without a policy')]);
    expect(await problems('operator/x.ts', "import { run } from '../action/main.ts';\nexport const x = run;\n")).toHaveLength(1);
    expect(await problems('action/x.ts', "import { runOperator } from '../operator/main.ts';\nexport const x = runOperator;\n")).toHaveLength(1);
  });

  it('lets the adapters import src/, and src/report compose analysis with the gate', async () => {
    expect(await problems('operator/x.ts', "import { gate } from '../src/policy/gate.ts';\nexport const x = gate;\n")).toEqual([]);
    expect(await problems('src/report/x.ts', "import { gate } from '../policy/gate.ts';\nexport const x = gate;\n")).toEqual([]);
  });
});

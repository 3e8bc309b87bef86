import { stringify } from 'yaml';
import type { z } from 'zod';
import { API_GROUP, API_VERSION } from './common.ts';
import { FAILURE_RECORD_KIND, FAILURE_RECORD_PLURAL, FailureRecordSpec, FailureRecordStatus } from './failure-record.ts';
import { REMEDIATION_POLICY_KIND, REMEDIATION_POLICY_PLURAL, RemediationPolicySpec, RemediationPolicyStatus } from './remediation-policy.ts';
import { CrdSchemaError, schemaAtJsonPath, structuralViolations, toStructuralSchema, type JSONSchemaProps } from './structural-schema.ts';

/**
 * The CustomResourceDefinitions of the two kinds, generated from the zod schemas in src/api (the one source
 * of truth): each schema converted by structural-schema.ts, checked, and wrapped in a CRD document with its
 * names, printer columns and status subresource. `npm run crds:generate` writes them to crds/.
 */

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  /** 0 shows in `kubectl get`; higher only with `-o wide`. */
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced' | 'Cluster';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JSONSchemaProps };
    }[];
  };
}

export interface CrdOptions {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** `kubectl get ci-remediator` lists every kind in a category. */
  categories?: string[];
  scope?: 'Namespaced' | 'Cluster';
  group?: string;
  version?: string;
  description: string;
  specSchema: z.ZodType;
  /** With a status schema the CRD gets the status subresource: status is written only through /status. */
  statusSchema?: z.ZodType;
  printerColumns: PrinterColumn[];
}

const COLUMN_TYPES: Record<PrinterColumn['type'], JSONSchemaProps['type'][]> = {
  string: ['string'],
  integer: ['integer'],
  number: ['number', 'integer'],
  boolean: ['boolean'],
  date: ['string'],
};

/** Fields the API server fills in on every object; printer columns may point at them. */
const SERVER_FIELDS: JSONSchemaProps = {
  type: 'object',
  properties: {
    metadata: {
      type: 'object',
      properties: { creationTimestamp: { type: 'string' }, name: { type: 'string' }, namespace: { type: 'string' } },
    },
  },
};

/**
 * An apiextensions.k8s.io/v1 CRD with one served and stored version. Throws CrdSchemaError when the schema
 * is not structural or a printer column points at a field that does not exist (a typo there only shows as
 * an empty column).
 */
export function buildCrd(options: CrdOptions): CustomResourceDefinition {
  const group = options.group ?? API_GROUP;
  const spec = toStructuralSchema(options.specSchema);
  const status = options.statusSchema === undefined ? undefined : toStructuralSchema(options.statusSchema);
  const openAPIV3Schema: JSONSchemaProps = {
    description: options.description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: {
        description:
          'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
        type: 'string',
      },
      kind: {
        description:
          'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to.',
        type: 'string',
      },
      // The API server owns metadata and validates it itself.
      metadata: { type: 'object' },
      spec,
      ...(status === undefined ? {} : { status }),
    },
  };
  const problems = structuralViolations(openAPIV3Schema);
  if (problems.length > 0) throw new CrdSchemaError(options.kind, `schema is not structural:\n  ${problems.join('\n  ')}`);
  for (const column of options.printerColumns) {
    const target = schemaAtJsonPath(openAPIV3Schema, column.jsonPath) ?? schemaAtJsonPath(SERVER_FIELDS, column.jsonPath);
    if (target === undefined) throw new CrdSchemaError(options.kind, `printer column ${column.name}: no field at ${column.jsonPath}`);
    const fits = target.type === 'array' ? column.type === 'string' : COLUMN_TYPES[column.type].includes(target.type);
    if (!fits) throw new CrdSchemaError(options.kind, `printer column ${column.name}: ${column.type} column over a ${String(target.type)} field`);
  }

  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${options.plural}.${group}` },
    spec: {
      group,
      names: {
        kind: options.kind,
        listKind: `${options.kind}List`,
        plural: options.plural,
        singular: options.singular,
        shortNames: [...options.shortNames],
        categories: [...(options.categories ?? ['ci-remediator'])],
      },
      scope: options.scope ?? 'Namespaced',
      versions: [
        {
          name: options.version ?? API_VERSION,
          served: true,
          storage: true,
          ...(status === undefined ? {} : { subresources: { status: {} } }),
          additionalPrinterColumns: options.printerColumns.map((column) => ({ ...column })),
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export function failureRecordCrd(): CustomResourceDefinition {
  return buildCrd({
    kind: FAILURE_RECORD_KIND,
    plural: FAILURE_RECORD_PLURAL,
    singular: 'failurerecord',
    shortNames: ['fr'],
    description:
      'FailureRecord is one failed GitHub Actions run attempt: what was observed (spec, immutable) and how ci-remediator handles it (status). See docs/spec/failurerecord.md.',
    specSchema: FailureRecordSpec,
    statusSchema: FailureRecordStatus,
    printerColumns: [
      { name: 'Repository', type: 'string', jsonPath: '.spec.repository' },
      { name: 'Category', type: 'string', jsonPath: '.status.analysis.category' },
      { name: 'Risk', type: 'integer', jsonPath: '.status.analysis.riskScore' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      AGE,
      { name: 'Workflow', type: 'string', jsonPath: '.spec.workflow.name', priority: 1 },
      { name: 'Run', type: 'integer', jsonPath: '.spec.workflow.runId', priority: 1 },
      { name: 'Attempt', type: 'integer', jsonPath: '.spec.workflow.runAttempt', priority: 1 },
      { name: 'Decision', type: 'string', jsonPath: '.status.gate.decision', priority: 1 },
      { name: 'Action', type: 'string', jsonPath: '.status.analysis.proposedRemediation.action', priority: 1 },
    ],
  });
}

export function remediationPolicyCrd(): CustomResourceDefinition {
  return buildCrd({
    kind: REMEDIATION_POLICY_KIND,
    plural: REMEDIATION_POLICY_PLURAL,
    singular: 'remediationpolicy',
    shortNames: ['rp'],
    description:
      'RemediationPolicy says which repositories it governs and what ci-remediator may do about their failed CI runs on its own. See docs/spec/remediationpolicy.md.',
    specSchema: RemediationPolicySpec,
    statusSchema: RemediationPolicyStatus,
    printerColumns: [
      { name: 'Repositories', type: 'string', jsonPath: '.spec.repositories' },
      { name: 'Threshold', type: 'integer', jsonPath: '.spec.riskThreshold' },
      { name: 'Matched', type: 'integer', jsonPath: '.status.matchedRecords' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      AGE,
      { name: 'Priority', type: 'integer', jsonPath: '.spec.priority', priority: 1 },
      { name: 'Ceiling', type: 'integer', jsonPath: '.spec.riskCeiling', priority: 1 },
      { name: 'Protected', type: 'boolean', jsonPath: '.spec.protected', priority: 1 },
      { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend', priority: 1 },
    ],
  });
}

export interface CrdFile {
  /** Repository-relative, e.g. `crds/ci-remediator.dev_failurerecords.yaml` (controller-gen's naming). */
  path: string;
  content: string;
}

export const CRD_DIRECTORY = 'crds';
export const GENERATE_COMMAND = 'npm run crds:generate';

/** Every generated CRD file, as `crds:generate` writes it and `crds:check` expects it. */
export function renderCrdFiles(): CrdFile[] {
  const sources: [CustomResourceDefinition, string][] = [
    [failureRecordCrd(), 'src/api/failure-record.ts'],
    [remediationPolicyCrd(), 'src/api/remediation-policy.ts'],
  ];
  return sources.map(([crd, source]) => ({
    path: `${CRD_DIRECTORY}/${crd.spec.group}_${crd.spec.names.plural}.yaml`,
    content:
      `# Generated from ${source} by \`${GENERATE_COMMAND}\` (scripts/generate-crds.ts). Do not edit:\n` +
      `# change the zod schema and regenerate. CI fails when this file differs (\`npm run crds:check\`).\n` +
      // lineWidth 0: no folding, so a changed description is a one-line diff.
      stringify(crd, { lineWidth: 0 }),
  }));
}

/**
 * Offline synthesis for infra tests: synthesizes the whole SST app once for a stage and exposes
 * each stack's `Template` (`Template.fromStack`) plus lookups that follow references across
 * stacks (a function's role statements, the queue or key behind an ARN, even through
 * `Fn::ImportValue`).
 *
 * Function code is not bundled (SST's inactive-stack path, see `synthesizeApp`), so these tests
 * check infrastructure only and never depend on the handlers compiling; `npm run synth` bundles.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { type FunctionProps, Function as SstFunction, useFunctions } from 'sst/constructs';
import type { FunctionalStack } from 'sst/constructs/FunctionalStack.js';
import { synthesizeApp } from '../../scripts/synth.js';

/** A CloudFormation template as JSON. */
export type TemplateJson = { Resources?: Record<string, CfnResource>; Outputs?: Record<string, CfnOutput> };
export type CfnResource = { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown };
type CfnOutput = { Value: unknown; Export?: { Name?: unknown } };

/** An IAM policy statement as synthesized. */
export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A resource found by following a reference, with the stack it lives in. */
export interface Located {
  readonly stackName: string;
  readonly logicalId: string;
  readonly resource: CfnResource;
}

/** An SST function of the app: where it is in the templates, and the props SST built it from. */
export interface SynthesizedFunction extends Located {
  readonly id: string;
  /** Props after the app's default function props were merged (runtime, architecture, handler...). */
  readonly props: FunctionProps;
}

/** The app synthesized for one stage. */
export interface SynthesizedTestApp {
  readonly stage: string;
  readonly region: string;
  /** `Template.fromStack` of a stack of the app, by its stack function (`Queues`, `Api`...). */
  template(stack: FunctionalStack<unknown>): Template;
  /** The SST function with construct id `id` (`webhook`, `notifyWorker`, `registerWebhook`...). */
  fn(id: string): SynthesizedFunction;
  /**
   * Every statement of the inline and customer policies of a function's execution role (the AWS
   * managed `AWSLambdaBasicExecutionRole` that CDK attaches for logs is not expanded).
   */
  roleStatements(id: string): Statement[];
  /** The resource an `Fn::GetAtt`/`Ref`/`Fn::ImportValue` in stack `stackName` points to. */
  resolve(stackName: string, reference: unknown): Located;
}

let pending: Promise<unknown> = Promise.resolve();

/**
 * Synthesizes the app for `stage` with no AWS access (no credentials needed). SST keeps the current
 * app in module globals, so syntheses in one process are queued, never interleaved.
 */
export function synthesizeForTest(stage = 'test'): Promise<SynthesizedTestApp> {
  const next = pending.then(() => synthesizeNow(stage));
  pending = next.catch(() => undefined);
  return next;
}

async function synthesizeNow(stage: string): Promise<SynthesizedTestApp> {
  const synthesized = await synthesizeApp({ stage, bundle: false });
  try {
    // Read everything now: the scratch directory holding the cloud assembly is deleted below.
    const prefix = synthesized.app.logicalPrefixedName('');
    const templates = new Map<string, Template>();
    const json = new Map<string, TemplateJson>();
    for (const stack of synthesized.stacks) {
      templates.set(stack.stackName.slice(prefix.length), Template.fromStack(stack));
      json.set(stack.stackName, synthesized.assembly.getStackArtifact(stack.artifactId).template as TemplateJson);
    }
    const functions = new Map<string, SynthesizedFunction>();
    for (const construct of synthesized.app.node.findAll()) {
      if (!(construct instanceof SstFunction)) continue;
      const { stackName } = construct.stack;
      const logicalId = construct.stack.getLogicalId(construct.node.defaultChild as CfnFunction);
      const props = useFunctions().fromID(construct.node.addr);
      if (!props) throw new Error(`SST has no props for function ${construct.node.path}`);
      const resource = resourceIn(json, stackName, logicalId);
      functions.set(construct.node.id, { id: construct.node.id, stackName, logicalId, resource, props });
    }
    return testApp({ stage, region: synthesized.app.region, templates, json, functions });
  } finally {
    await synthesized.dispose();
  }
}

interface Synthesis {
  readonly stage: string;
  readonly region: string;
  /** Templates by stack id (the stack function's name). */
  readonly templates: Map<string, Template>;
  /** Template JSON by CloudFormation stack name. */
  readonly json: Map<string, TemplateJson>;
  readonly functions: Map<string, SynthesizedFunction>;
}

function testApp({ stage, region, templates, json, functions }: Synthesis): SynthesizedTestApp {
  const template = (stack: FunctionalStack<unknown>): Template => {
    const found = templates.get(stack.name);
    if (!found) throw new Error(`No stack "${stack.name}" in the app (have: ${[...templates.keys()].join(', ')})`);
    return found;
  };
  const fn = (id: string): SynthesizedFunction => {
    const found = functions.get(id);
    if (!found) throw new Error(`No SST function "${id}" in the app (have: ${[...functions.keys()].join(', ')})`);
    return found;
  };
  const resolve = (stackName: string, reference: unknown): Located => resolveIn(json, stackName, reference);
  const roleStatements = (id: string): Statement[] => {
    const { stackName, resource } = fn(id);
    const role = resolve(stackName, resource.Properties?.Role);
    const statements: Statement[] = [];
    for (const candidate of Object.values(json.get(stackName)?.Resources ?? {})) {
      if (candidate.Type !== 'AWS::IAM::Policy') continue;
      const roles = (candidate.Properties?.Roles ?? []) as unknown[];
      if (!roles.some((ref) => isRefTo(ref, role.logicalId))) continue;
      const document = candidate.Properties?.PolicyDocument as { Statement: Statement[] };
      statements.push(...document.Statement);
    }
    const inline = (role.resource.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
    for (const policy of inline) statements.push(...policy.PolicyDocument.Statement);
    return statements;
  };
  return { stage, region, template, fn, roleStatements, resolve };
}

function resourceIn(json: Map<string, TemplateJson>, stackName: string, logicalId: string): CfnResource {
  const resource = json.get(stackName)?.Resources?.[logicalId];
  if (!resource) throw new Error(`No resource ${logicalId} in stack ${stackName}`);
  return resource;
}

function resolveIn(json: Map<string, TemplateJson>, stackName: string, reference: unknown): Located {
  const ref = reference as Record<string, unknown> | undefined;
  if (ref && typeof ref.Ref === 'string') {
    return { stackName, logicalId: ref.Ref, resource: resourceIn(json, stackName, ref.Ref) };
  }
  const getAtt = ref?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') {
    return { stackName, logicalId: getAtt[0], resource: resourceIn(json, stackName, getAtt[0]) };
  }
  const exportName = ref?.['Fn::ImportValue'];
  if (typeof exportName === 'string') {
    for (const [exporter, template] of json) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export?.Name === exportName) return resolveIn(json, exporter, output.Value);
      }
    }
    throw new Error(`No stack exports ${exportName}`);
  }
  throw new Error(`Cannot resolve ${JSON.stringify(reference)} in ${stackName}`);
}

function isRefTo(value: unknown, logicalId: string): boolean {
  return (value as { Ref?: unknown } | undefined)?.Ref === logicalId;
}

/** The one resource of `type` in `template` (fails unless there is exactly one). */
export function onlyResource(template: Template, type: string): { logicalId: string; resource: CfnResource } {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`Expected exactly one ${type}, found ${found.length}`);
  const [logicalId, resource] = found[0]!;
  return { logicalId, resource: resource as CfnResource };
}

/** Property `name` of a resource, which must be set; typed by the caller. */
export function propertyOf<T>(resource: CfnResource, name: string): T {
  const value = resource.Properties?.[name];
  if (value === undefined) throw new Error(`Resource of type ${resource.Type} has no ${name}`);
  return value as T;
}

/** The actions of a statement, always as an array. */
export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** The resources of a statement, always as an array. */
export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

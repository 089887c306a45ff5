import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Indexed in Temporal's visibility store, so the UI, the CLI and GET /v1/incidents can filter on them. */
export const playbookAttribute = defineSearchAttributeKey('RipostePlaybook', SearchAttributeType.KEYWORD);
export const statusAttribute = defineSearchAttributeKey('RiposteStatus', SearchAttributeType.KEYWORD);
export const entityAttribute = defineSearchAttributeKey('RiposteEntity', SearchAttributeType.KEYWORD);
export const severityAttribute = defineSearchAttributeKey('RiposteSeverity', SearchAttributeType.INT);
export const verdictAttribute = defineSearchAttributeKey('RiposteVerdict', SearchAttributeType.KEYWORD);
export const sourceAttribute = defineSearchAttributeKey('RiposteSource', SearchAttributeType.KEYWORD);
export const expiresAtAttribute = defineSearchAttributeKey('RiposteExpiresAt', SearchAttributeType.DATETIME);

export const searchAttributes = [
  playbookAttribute, statusAttribute, entityAttribute, severityAttribute, verdictAttribute, sourceAttribute, expiresAtAttribute,
] as const;

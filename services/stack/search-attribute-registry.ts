import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TemporalConnectionOptions } from '../../config/temporal-connection';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

const INDEXED: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

/** Registers Lucid's search attributes on a namespace unless they are there already (workflows that set them fail otherwise). */
export async function ensureSearchAttributes(connection: TemporalConnectionOptions, namespace: string): Promise<void> {
  const conn = await Connection.connect(connection);
  try {
    const { customAttributes } = await conn.operatorService.listSearchAttributes({ namespace });
    const missing = Object.values(SEARCH_ATTRIBUTES).filter((k) => !customAttributes?.[k.name]);
    if (missing.length === 0) return;
    await conn.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED[k.type]!])),
    });
  } finally {
    await conn.close();
  }
}

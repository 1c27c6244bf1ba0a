// telltale/exposition: pure encoders from gathered families to the Prometheus text, OpenMetrics and delimited protobuf formats, plus content negotiation.

export { DEFAULT_CHUNK_SIZE, formatNumber } from './common.js';
export {
  CONTENT_TYPES,
  type EncodeOptions,
  type ExpositionFormat,
  encodeChunks,
} from './format.js';
export { acceptsGzip, negotiate } from './negotiate.js';
export {
  encodeOpenMetrics,
  encodeOpenMetricsChunks,
  type OpenMetricsOptions,
} from './openmetrics.js';
export {
  encodeProtobuf,
  encodeProtobufChunks,
  type ProtobufOptions,
} from './protobuf.js';
export { createProtobufCache, type ProtobufCache } from './protobuf-labels.js';
export { encodeText, encodeTextChunks, type TextOptions } from './text.js';
export { createTextCache, type TextCache } from './text-cache.js';

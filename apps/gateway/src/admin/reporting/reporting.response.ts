import { ApiProperty } from '@nestjs/swagger';

export class MetricsDataPointResponse {
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Start of the interval (unix seconds).' }) timeStamp: number;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Requests in the interval.' }) numberOfRequests: number;
  @ApiProperty({ description: 'Their cost in USD (unpriced requests add nothing).' }) costInUsd: number;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Sum of their latencies in milliseconds.' }) latencyInMs: number;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Sum of their prompt tokens.' }) promptTokenCount: number;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Sum of their completion tokens.' }) completionTokenCount: number;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Requests answered with a 2xx status.' }) successCount: number;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Requests whose cost is unknown (a model without a price): not counted in costInUsd, never as free.' }) unpricedRequestCount: number;
  @ApiProperty({ description: 'The model, when broken down by model; else empty.' }) model: string;
  @ApiProperty({ description: 'The key id, when broken down by keyId; else empty.' }) keyId: string;
  @ApiProperty({ description: 'The custom id, when broken down by customId; else empty.' }) customId: string;
  @ApiProperty({ description: 'The user id, when broken down by userId; else empty.' }) userId: string;
}

export class MetricsResponse {
  @ApiProperty({ type: [MetricsDataPointResponse], description: 'One per interval (or per interval and breakdown), in time order; intervals without requests are zeros.' })
  dataPoints: MetricsDataPointResponse[];
  @ApiProperty({ description: 'Median latency of the requests in the whole range, milliseconds.' }) latencyInMsMedian: number;
  @ApiProperty({ description: '99th percentile latency of the requests in the whole range, milliseconds.' }) latencyInMs99th: number;
}

export class KeySpendResponse {
  @ApiProperty({ description: 'Key id.' }) keyId: string;
  @ApiProperty({ description: 'What its priced requests in the range cost, USD.' }) costInUsd: number;
  @ApiProperty({ type: 'integer', format: 'int64', description: 'Its requests in the range whose cost is unknown (a model without a price): in no costInUsd, never counted as free.' }) unpricedRequestCount: number;
}

export class TopKeysResponse {
  @ApiProperty({ type: [KeySpendResponse], description: 'Keys by spend in the range.' }) dataPoints: KeySpendResponse[];
}
